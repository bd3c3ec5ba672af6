using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>Workflow files in the original AI-Orchestra's (Python) spellings: every action and parameter alias.</summary>
public sealed class OriginalNamesTests
{
    // Written for these tests in the original's format: id/type/params and its own action and parameter names.
    private const string OriginalFile = """
        {
          "id": "original_everything",
          "name": "Every original action",
          "description": "One step per action the original named differently",
          "steps": [
            { "id": "complete", "type": "openai", "action": "generate_completion",
              "params": { "prompt": "Hello {{topic}}", "system_prompt": "Be brief.", "temperature": 0.2, "max_tokens": 100 } },
            { "id": "digest", "type": "openai", "action": "summarize", "params": { "text": "{{complete_output}}" } },
            { "id": "sop", "type": "openai", "action": "generate_sop", "params": { "task_description": "Onboarding {{topic}}" } },
            { "id": "issue", "type": "github", "action": "create_issue",
              "params": { "repo_name": "octo/handbook", "title": "New SOP", "body": "{{sop_output}}", "labels": ["docs"] } },
            { "id": "commit", "type": "github", "action": "commit_file",
              "params": { "repo_name": "octo/handbook", "file_path": "sops/{{topic}}.md", "content": "{{sop_output}}", "message": "Add SOP", "branch": "main" } },
            { "id": "repos", "type": "github", "action": "list_repositories", "params": {} },
            { "id": "page", "type": "notion", "action": "create_page", "params": { "parent_id": "parent-1", "title": "SOP", "content": "{{sop_output}}" } },
            { "id": "append", "type": "notion", "action": "append_to_page", "params": { "page_id": "{{page_output.id}}", "content": "More" } },
            { "id": "find", "type": "notion", "action": "search_pages", "params": { "query": "SOP" } },
            { "id": "mail", "type": "gmail", "action": "list_messages", "params": { "max_results": 5, "query": "is:unread" } },
            { "id": "one", "type": "gmail", "action": "get_message", "params": { "message_id": "{{mail_output[0].id}}" } }
          ],
          "variables": { "topic": "onboarding" }
        }
        """;

    [Fact]
    public void Every_original_action_and_parameter_reads_as_ours_and_validates()
    {
        var parsed = WorkflowJson.Parse(OriginalFile);

        Assert.Empty(parsed.Errors);
        Assert.Empty(new WorkflowValidator(FakeSteps.Catalog).Validate(parsed.Workflow!));
        var steps = parsed.Workflow!.Steps.ToDictionary(s => s.StepId);
        Assert.Equal("Be brief.", (string?)steps["complete"].Parameters["system"]);
        Assert.False(steps["complete"].Parameters.ContainsKey("system_prompt"));
        Assert.Equal("generate_completion", steps["sop"].Action);
        Assert.Equal(OriginalNames.SopPrompt + "Onboarding {{topic}}", (string?)steps["sop"].Parameters["prompt"]);
        Assert.Equal("octo/handbook", (string?)steps["issue"].Parameters["repo"]);
        Assert.Equal(("create_file", "sops/{{topic}}.md", "octo/handbook"),
            (steps["commit"].Action, (string?)steps["commit"].Parameters["path"], (string?)steps["commit"].Parameters["repo"]));
        Assert.Equal("list_repos", steps["repos"].Action);
        Assert.Equal("parent-1", (string?)steps["page"].Parameters["parent_page_id"]);
        Assert.Equal("append_content", steps["append"].Action);
        Assert.Equal("search", steps["find"].Action);
        Assert.Equal("{{mail_output[0].id}}", (string?)steps["one"].Parameters["id"]);
    }

    [Fact]
    public void Export_writes_our_spellings_and_the_original_format_on_request_reads_back_the_same()
    {
        var workflow = WorkflowJson.Parse(OriginalFile).Workflow!;

        var ours = JsonNode.Parse(WorkflowJson.Serialize(workflow))!;
        var original = JsonNode.Parse(WorkflowJson.Serialize(workflow, original: true))!;

        Assert.Equal("original_everything", (string?)ours["workflow_id"]);
        Assert.Equal("create_file", (string?)ours["steps"]![4]!["action"]);
        Assert.Equal("sops/{{topic}}.md", (string?)ours["steps"]![4]!["parameters"]!["path"]);
        Assert.Equal("original_everything", (string?)original["id"]);
        var commit = original["steps"]![4]!;
        Assert.Equal(("commit", "github", "commit_file"), ((string?)commit["id"], (string?)commit["type"], (string?)commit["action"]));
        Assert.Equal("sops/{{topic}}.md", (string?)commit["params"]!["file_path"]);
        Assert.Equal("octo/handbook", (string?)commit["params"]!["repo_name"]);
        Assert.Equal("Be brief.", (string?)original["steps"]![0]!["params"]!["system_prompt"]);
        Assert.Equal("list_repositories", (string?)original["steps"]![5]!["action"]);
        Assert.Equal("parent-1", (string?)original["steps"]![6]!["params"]!["parent_id"]);
        Assert.Equal("{{mail_output[0].id}}", (string?)original["steps"]![10]!["params"]!["message_id"]);
        // read back, the original's export is the same workflow
        Assert.Equal(WorkflowJson.Serialize(workflow), WorkflowJson.Serialize(WorkflowJson.Parse(original.ToJsonString()).Workflow!));
    }

    [Fact]
    public void Our_name_wins_when_a_step_gives_both_spellings()
    {
        var parsed = WorkflowJson.Parse("""
            { "id": "both", "steps": [ { "id": "c", "type": "github", "action": "commit_file",
              "params": { "repo": "ours/repo", "repo_name": "theirs/repo", "file_path": "a.md", "content": "x" } } ] }
            """);

        Assert.Equal("ours/repo", (string?)parsed.Workflow!.Steps[0].Parameters["repo"]);
        Assert.False(parsed.Workflow.Steps[0].Parameters.ContainsKey("repo_name"));
    }

    [Fact]
    public void An_unknown_original_action_is_reported_with_the_actions_there_are()
    {
        var parsed = WorkflowJson.Parse("""
            { "id": "bad", "steps": [ { "id": "x", "type": "github", "action": "delete_repository", "params": {} } ] }
            """);

        var error = Assert.Single(new WorkflowValidator(FakeSteps.Catalog).Validate(parsed.Workflow!));
        Assert.Equal("steps[0].action", error.Path);
        Assert.Contains("no action \"delete_repository\"", error.Message);
    }
}

/// <summary>The original's next_step chain: from the first step, following next_step until null.</summary>
public sealed class NextStepChainTests
{
    [Fact]
    public async Task A_chain_that_jumps_past_a_step_runs_the_steps_it_names_and_records_the_other_as_skipped()
    {
        var workflow = WorkflowJson.Parse("""
            {
              "id": "chained",
              "steps": [
                { "id": "first", "type": "template", "action": "render", "params": { "text": "one" }, "next_step": "third" },
                { "id": "second", "type": "template", "action": "render", "params": { "text": "two" }, "next_step": "third" },
                { "id": "third", "type": "template", "action": "render", "params": { "text": "{{first_output}} three" }, "next_step": null },
                { "id": "fourth", "type": "template", "action": "render", "params": { "text": "four" } }
              ]
            }
            """).Workflow!;
        Assert.Empty(new WorkflowValidator(FakeSteps.Catalog).Validate(workflow));
        var executor = new AiOrchestra.Engine.Execution.WorkflowExecutor(
            new AiOrchestra.Engine.Execution.StepCatalog([new AiOrchestra.Engine.Steps.Template.TemplateStep()]), TimeProvider.System);

        var result = await executor.ExecuteAsync(
            new AiOrchestra.Engine.Execution.RunRequest { RunId = "r", OwnerId = "o", Workflow = workflow },
            new AiOrchestra.Engine.Tests.Execution.RecordingJournal(), CancellationToken.None);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal(["first", "third"], result.Outputs.Keys.Order());
        Assert.Equal("one three", (string?)result.Outputs["third"]);
        Assert.Equal(
            [("first", "Succeeded"), ("second", "Skipped"), ("third", "Succeeded"), ("fourth", "Skipped")],
            result.Steps.Select(s => (s.StepId, s.Status.ToString())));
    }
}
