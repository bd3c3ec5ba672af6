using System.Text.Json.Nodes;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Crash;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Original;

/// <summary><c>import DIR</c>: an original AI-Orchestra data folder (files written here in its format) into an account.</summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class ImportCommandTests : IDisposable
{
    private const string RunId = "5f0c6a8e-1d2b-4c3a-9e8f-0a1b2c3d4e5f";
    private readonly string _folder = Directory.CreateTempSubdirectory("import-").FullName;
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);
    private readonly ApiFactory _api = new();

    public ImportCommandTests()
    {
        Write("workflows/issue_from_text.json", """
            {
              "id": "issue_from_text",
              "name": "Issue from text",
              "description": "Summarize and file an issue",
              "steps": [
                {"id": "summary", "type": "openai", "action": "generate_completion",
                 "params": {"prompt": "Summarize: {text}", "system_prompt": "Be brief."}, "next_step": "file_issue"},
                {"id": "file_issue", "type": "github", "action": "create_issue",
                 "params": {"repo_name": "me/repo", "title": "Summary", "body": "{summary}"}, "next_step": null}
              ],
              "variables": {"text": ""}
            }
            """);
        Write("workflows/list_repos.json", """
            {"id": "list_repos", "name": "List repositories", "description": "",
             "steps": [{"id": "repos", "type": "github", "action": "list_repositories", "params": {}, "next_step": null}]}
            """);
        Write("prompts/migrated_notes.json", """
            {"id": "migrated_notes", "name": "Release notes", "description": "Notes for a version",
             "system_prompt": "You write release notes.", "user_prompt": "Write notes for {version}.",
             "variables": ["version"], "model": "gpt-4o-mini", "temperature": 0.3}
            """);
        Write("logs/issue_from_text_20240501.json", $$"""
            {"timestamp": "2024-05-01T12:30:00", "workflow_id": "issue_from_text", "execution_id": "{{RunId}}",
             "status": "success",
             "steps": [
               {"step_id": "summary", "status": "success", "output": "A short summary.", "duration_ms": 812},
               {"step_id": "file_issue", "status": "success", "output": {"number": 7}, "duration_ms": 240}
             ]}
            """);
    }

    public void Dispose()
    {
        _api.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Importing_a_folder_twice_imports_everything_once_and_then_reports_all_as_skipped()
    {
        var (exit, output, _) = await ImportAsync();

        Assert.Equal(0, exit);
        Assert.Contains("workflows/issue_from_text.json: imported", output);
        Assert.Contains("workflows/list_repos.json: imported", output);
        Assert.Contains("prompts/migrated_notes.json: imported", output);
        Assert.Contains("logs/issue_from_text_20240501.json: imported", output);
        Assert.Contains("4 imported, 0 skipped, 0 failed.", output);

        var (again, secondOutput, _) = await ImportAsync();

        Assert.Equal(0, again);
        Assert.Contains("workflows/issue_from_text.json: skipped — workflow 'issue_from_text' unchanged (version 1).", secondOutput);
        Assert.Contains("prompts/migrated_notes.json: skipped — prompt 'migrated_notes' unchanged.", secondOutput);
        Assert.Contains($"logs/issue_from_text_20240501.json: skipped — run '{RunId}' already imported.", secondOutput);
        Assert.Contains("0 imported, 4 skipped, 0 failed.", secondOutput);
        Assert.Equal(1, await CountAsync(db => db.Runs.CountAsync(r => r.Origin == "import")));
        Assert.Equal(1, await CountAsync(db => db.WorkflowVersions.CountAsync(v => v.Record!.WorkflowId == "issue_from_text")));
    }

    [Fact]
    public async Task Imported_runs_appear_in_the_api_with_origin_import_and_their_steps()
    {
        Assert.Equal(0, (await ImportAsync()).Exit);
        using var client = await _api.AdminAsync();

        var runs = (await (await client.GetAsync("/api/runs?workflow_id=issue_from_text")).JsonAsync())["runs"]!.AsArray();
        var run = Assert.Single(runs)!;
        Assert.Equal(RunId, run["run_id"]!.GetValue<string>());
        Assert.Equal("import", run["origin"]!.GetValue<string>());

        var details = await (await client.GetAsync($"/api/runs/{RunId}")).JsonAsync();
        Assert.Equal("import", details["origin"]!.GetValue<string>());
        var steps = details["steps"]!.AsArray();
        Assert.Equal(["summary", "file_issue"], steps.Select(s => s!["step_id"]!.GetValue<string>()));
        Assert.Equal(7, steps[1]!["output"]!["number"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_broken_file_is_reported_with_its_reason_and_the_rest_is_imported()
    {
        Write("workflows/broken.json", """{"id": "broken", "steps": [""");
        Write("logs/unknown_workflow.json", """
            {"timestamp": "2024-05-02T08:00:00", "workflow_id": "not_here", "execution_id": "run-unknown", "status": "success", "steps": []}
            """);
        // the second step is wrong: none of this log may be stored
        Write("logs/half_bad.json", """
            {"timestamp": "2024-05-02T09:00:00", "workflow_id": "list_repos", "execution_id": "run-half-bad", "status": "failed",
             "steps": [{"step_id": "repos", "status": "success", "output": [], "duration_ms": 3},
                       {"step_id": "later", "status": "exploded", "output": null, "duration_ms": 1}]}
            """);

        var (exit, output, _) = await ImportAsync();

        Assert.Equal(1, exit);
        Assert.Contains("workflows/broken.json: failed — not valid JSON", output);
        Assert.Contains("logs/half_bad.json: failed — steps[1].status: 'exploded' is not a finished step's status", output);
        Assert.Contains("logs/unknown_workflow.json: skipped — workflow 'not_here' is not in the account", output);
        Assert.Contains("4 imported, 1 skipped, 2 failed.", output);
        Assert.Equal(0, await CountAsync(db => db.Runs.CountAsync(r => r.Id == "run-half-bad")));
        Assert.Equal(0, await CountAsync(db => db.StepsOf("run-half-bad").CountAsync()));
    }

    [Fact]
    public async Task A_changed_workflow_becomes_a_new_version_and_a_changed_prompt_is_not_replaced()
    {
        Assert.Equal(0, (await ImportAsync()).Exit);
        Write("workflows/list_repos.json", """
            {"id": "list_repos", "name": "List my repositories", "description": "",
             "steps": [{"id": "repos", "type": "github", "action": "list_repositories", "params": {}, "next_step": null}]}
            """);
        Write("prompts/migrated_notes.json", """
            {"id": "migrated_notes", "name": "Release notes", "user_prompt": "Other text for {version}."}
            """);

        var (exit, output, _) = await ImportAsync();

        Assert.Equal(0, exit);
        Assert.Contains("workflows/list_repos.json: imported — workflow 'list_repos' differs from the stored one; saved as version 2.", output);
        Assert.Contains("prompts/migrated_notes.json: skipped — prompt 'migrated_notes' exists and differs; not replaced", output);
        Assert.Equal(1, await CountAsync(db => db.Prompts.CountAsync(p => p.TemplateId == "migrated_notes" && p.Template == "Write notes for {version}.")));
    }

    [Fact]
    public async Task User_names_the_account_to_import_into()
    {
        using var bob = await _api.NewUserAsync("bob");

        var (exit, output, _) = await ImportAsync("--user", "bob");

        Assert.Equal(0, exit);
        Assert.Contains("into the account 'bob'", output);
        var runs = (await (await bob.GetAsync("/api/runs")).JsonAsync())["runs"]!.AsArray();
        Assert.Single(runs);
        var (missing, _, error) = await ImportAsync("--user", "nobody");
        Assert.Equal(2, missing);
        Assert.Contains("There is no account 'nobody'", error);
    }

    [Fact]
    public async Task The_command_line_imports_into_the_database_the_server_uses()
    {
        var database = Path.Combine(_folder, "app.db");
        using (await AppProcess.StartAsync(_folder, database, new Dictionary<string, string>(), ProcessTimeout))
        {
            // started once: migrated, with its administrator
        }
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Default"] = $"Data Source={database}", ["DataFolder"] = _folder };

        var (exit, output, error) = await AppProcess.RunToExitAsync(
            _folder, database, new Dictionary<string, string>(), ProcessTimeout, ["import", _folder], environment, onlyLeading: true);

        Assert.True(exit == 0, output + error);
        Assert.Contains($"into the account '{AppProcess.AdminUser}'", output);
        Assert.Contains("4 imported, 0 skipped, 0 failed.", output);
    }

    private void Write(string relative, string json)
    {
        var file = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, json);
    }

    private async Task<(int Exit, string Output, string Error)> ImportAsync(params string[] options)
    {
        _api.StartServer();
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await WorkflowCommands.RunAsync(_api.Services, ["import", _folder, .. options], output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    private async Task<int> CountAsync(Func<AppDbContext, Task<int>> count)
    {
        await using var scope = _api.Services.CreateAsyncScope();
        return await count(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }
}
