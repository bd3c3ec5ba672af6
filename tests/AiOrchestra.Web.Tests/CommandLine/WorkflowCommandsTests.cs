using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Outbound;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.CommandLine;

/// <summary>The <c>validate</c> and <c>run</c> commands, with the app's own step catalog and the example files.</summary>
public sealed class WorkflowCommandsTests : IDisposable
{
    private static readonly string Examples = Path.Combine(StoreHost.RepositoryRoot, "data", "examples");
    private readonly string _folder = Directory.CreateTempSubdirectory("cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Run_of_the_offline_example_prints_a_successful_result_and_exits_zero()
    {
        var (exit, output, _) = await RunAsync("run", Example("offline_release_notes"), "--var", "version=9.9");

        Assert.Equal(0, exit);
        var result = JsonNode.Parse(output)!;
        Assert.True(result["success"]!.GetValue<bool>());
        Assert.Equal(3, result["steps"]!.AsArray().Count);
        Assert.Contains("9.9", result["outputs"]!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_prints_each_step_in_the_same_shape_as_the_api()
    {
        var options = new JsonSerializerOptions();
        ApiExtensions.Configure(options);
        var apiStep = JsonSerializer.SerializeToNode(
            new RunStepJson("a", 0, "succeeded", null, null, 1, 0, null, null, null, null), options)!.AsObject();

        var (exit, output, _) = await RunAsync("run", Example("offline_release_notes"), "--var", "version=9.9");

        Assert.Equal(0, exit);
        var steps = JsonNode.Parse(output)!["steps"]!.AsArray();
        for (var index = 0; index < steps.Count; index++)
        {
            var step = steps[index]!.AsObject();
            // as in the API, only a step that rendered a stored prompt or called a model has a ledger
            Assert.Equal(apiStep.Select(p => p.Key), step.Select(p => p.Key).Where(k => k != "ledger"));
            Assert.True(step["ledger"] is null || step["ledger"]!["prompts"]!.AsArray().Count > 0);
            Assert.Equal(index, step["index"]!.GetValue<int>());
            Assert.Equal("succeeded", step["status"]!.GetValue<string>());
            Assert.NotNull(step["started_at"]);
            Assert.NotNull(step["finished_at"]);
        }
    }

    [Fact]
    public async Task Validate_of_every_example_succeeds()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Examples, "workflows"), "*.json"))
        {
            var (exit, output, error) = await RunAsync("validate", file);
            Assert.True(exit == 0, $"{file}: {error}");
            Assert.Contains("valid", output);
        }
    }

    [Fact]
    public async Task Validate_with_an_unknown_field_still_prints_the_validator_errors()
    {
        var file = Write("""
            {"workflow_id": "Bad Id", "colour": "red", "steps": [
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{unclosed"}},
              {"step_id": "b", "step_type": "tempalte", "action": "render", "parameters": {}},
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "{{nope}}"}}
            ]}
            """);

        var (exit, _, error) = await RunAsync("validate", file);

        Assert.Equal(1, exit);
        Assert.Contains("colour: unknown field 'colour'", error);
        Assert.Contains("workflow_id:", error);
        Assert.Contains("steps[0].parameters.text:", error);
        Assert.Contains("steps[1].step_type:", error);
        Assert.Contains("steps[2].parameters.text: unknown variable 'nope'", error);
        Assert.Contains("5 error(s).", error);
    }

    [Fact]
    public async Task Validate_prints_every_error_with_its_path_and_exits_one()
    {
        var file = Write("""
            {"workflow_id": "Bad Id", "name": "x", "steps": [
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{nme}}"}},
              {"step_id": "b", "step_type": "tempalte", "action": "render", "parameters": {}}
            ], "variables": {"name": "x"}}
            """);

        var (exit, _, error) = await RunAsync("validate", file);

        Assert.Equal(1, exit);
        Assert.Contains("workflow_id", error);
        Assert.Contains("steps[0].parameters.text: unknown variable 'nme' (did you mean 'name'?)", error);
        Assert.Contains("steps[1].step_type", error);
        Assert.Contains("3 error(s).", error);
    }

    [Fact]
    public async Task Run_of_a_failing_workflow_prints_the_result_and_exits_one()
    {
        var file = Write("""
            {"workflow_id": "fails", "name": "x", "steps": [
              {"step_id": "call", "step_type": "http", "action": "request", "parameters": {"url": "http://127.0.0.1:1/nothing"}}
            ]}
            """);

        var (exit, output, _) = await RunAsync("run", file);

        Assert.Equal(1, exit);
        var result = JsonNode.Parse(output)!;
        Assert.False(result["success"]!.GetValue<bool>());
        Assert.Contains("call", result["errors"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Undeclared_run_inputs_and_malformed_var_arguments_are_refused()
    {
        var (undeclared, _, error) = await RunAsync("run", Example("offline_release_notes"), "--var", "verison=1");
        Assert.Equal(1, undeclared);
        Assert.Contains("version", error);

        var (malformed, _, usage) = await RunAsync("run", Example("offline_release_notes"), "--var", "novalue");
        Assert.Equal(2, malformed);
        Assert.Contains("--var name=value", usage);
    }

    private static string Example(string id) => Path.Combine(Examples, "workflows", $"{id}.json");

    private string Write(string json)
    {
        var file = Path.Combine(_folder, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        return file;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddOutbound();
        builder.AddSteps();
        builder.AddIntegrations();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPromptLibrary>(new PromptFolder(Path.Combine(Examples, "prompts")));
        await using var app = builder.Build();
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await WorkflowCommands.RunAsync(app.Services, args, output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }
}
