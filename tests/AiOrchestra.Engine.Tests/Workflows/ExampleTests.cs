using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

public class ExampleTests
{
    private static readonly string WorkflowsFolder = RepositoryFiles.Path("data", "examples", "workflows");
    private static readonly string PromptsFolder = RepositoryFiles.Path("data", "examples", "prompts");

    private static IEnumerable<string> FileNames(string folder) => Directory.GetFiles(folder, "*.json").Select(f => Path.GetFileName(f)).Order();

    public static TheoryData<string> WorkflowFiles() => new(FileNames(WorkflowsFolder));

    public static TheoryData<string> PromptFiles() => new(FileNames(PromptsFolder));

    private static Workflow ReadExample(string file)
    {
        var result = WorkflowJson.Parse(File.ReadAllText(Path.Combine(WorkflowsFolder, file)));
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Workflow!;
    }

    private static JsonObject ReadPrompt(string templateId) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(PromptsFolder, templateId + ".json")))!.AsObject();

    [Fact]
    public void The_seed_examples_and_an_offline_one_ship()
    {
        Assert.Equal(
            ["email_to_notion.json", "email_to_notion_per_email.json", "email_triage.json", "email_triage_each.json", "generate_sop_to_github.json", "offline_feedback_digest.json", "offline_release_notes.json", "simple_ai_completion.json"],
            FileNames(WorkflowsFolder));
    }

    [Theory]
    [MemberData(nameof(WorkflowFiles))]
    public void Each_example_parses_validates_and_is_named_after_its_id(string file)
    {
        var workflow = ReadExample(file);

        Assert.Empty(new WorkflowValidator(FakeSteps.Catalog).Validate(workflow));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), workflow.WorkflowId);
        Assert.NotEmpty(workflow.Name);
        Assert.NotNull(workflow.Description);
    }

    [Theory]
    [MemberData(nameof(WorkflowFiles))]
    public void Each_example_writes_back_to_the_same_text(string file)
    {
        var text = File.ReadAllText(Path.Combine(WorkflowsFolder, file));

        Assert.Equal(text.TrimEnd('\n'), WorkflowJson.Serialize(ReadExample(file)));
    }

    [Fact]
    public void Email_to_notion_is_the_design_example()
    {
        var workflow = ReadExample("email_to_notion.json");

        Assert.Equal(["gmail.list_messages", "openai.generate_completion", "notion.create_page"], workflow.Steps.Select(s => $"{s.StepType}.{s.Action}"));
        Assert.Equal("Summarise these emails:\n{{fetch_output}}", workflow.Steps[1].Parameters["prompt"]!.GetValue<string>());
        Assert.Equal(4, workflow.Steps[1].Retry!.MaxAttempts);
        Assert.Equal(60, workflow.Steps[1].TimeoutSeconds);
        Assert.Equal("{{summarize_output}}", workflow.Steps[2].Parameters["content"]!.GetValue<string>());
        Assert.Equal(["email_query", "notion_page_id"], workflow.Variables.Keys);
    }

    [Fact]
    public void Simple_ai_completion_sends_the_prompt_variable_to_openai()
    {
        var workflow = ReadExample("simple_ai_completion.json");

        var step = Assert.Single(workflow.Steps);
        Assert.Equal("openai.generate_completion", $"{step.StepType}.{step.Action}");
        Assert.Equal("{{prompt}}", step.Parameters["prompt"]!.GetValue<string>());
        Assert.Equal(["prompt"], workflow.Variables.Keys);
    }

    [Fact]
    public void Generate_sop_to_github_commits_the_generated_sop_to_the_given_repository_and_path()
    {
        var workflow = ReadExample("generate_sop_to_github.json");

        Assert.Equal(["openai.generate_completion", "github.create_file"], workflow.Steps.Select(s => $"{s.StepType}.{s.Action}"));
        Assert.Contains("{{topic}}", workflow.Steps[0].Parameters["prompt"]!.GetValue<string>());
        var commit = workflow.Steps[1].Parameters;
        Assert.Equal("{{repo_name}}", commit["repo"]!.GetValue<string>());
        Assert.Equal("{{file_path}}", commit["path"]!.GetValue<string>());
        Assert.Equal("{{generate_sop_output}}", commit["content"]!.GetValue<string>());
        Assert.Equal(["topic", "repo_name", "file_path"], workflow.Variables.Keys);
    }

    [Fact]
    public void Offline_release_notes_needs_only_offline_step_types()
    {
        var workflow = ReadExample("offline_release_notes.json");

        Assert.All(workflow.Steps, step => Assert.Contains(step.StepType, new[] { "template", "prompt" }));
    }

    [Fact]
    public void Offline_release_notes_renders_end_to_end_with_its_prompt_template()
    {
        var workflow = ReadExample("offline_release_notes.json");
        var scope = new Dictionary<string, JsonNode?>(workflow.Variables);

        foreach (var step in workflow.Steps)
        {
            var parameters = Template.RenderNode(step.Parameters, scope)!.AsObject();
            var output = step.StepType == "template"
                ? parameters["text"]!.GetValue<string>()
                : Template.Parse(ReadPrompt(parameters["template_id"]!.GetValue<string>())["template"]!.GetValue<string>())
                    .Render(parameters["variables"]!.AsObject().ToDictionary(p => p.Key, p => p.Value));
            scope[step.StepId + "_output"] = output;
        }

        var announcement = scope["announcement_output"]!.GetValue<string>();
        Assert.StartsWith("# AI Orchestra 1.4.0\n\n- Runs resume after a crash", announcement);
        Assert.Contains("Write release notes for AI Orchestra version 1.4.0.", announcement);
        Assert.DoesNotContain("{{", announcement);
    }

    [Fact]
    public async Task Offline_feedback_digest_loops_branches_and_skips_as_its_condition_says()
    {
        var workflow = ReadExample("offline_feedback_digest.json");
        var executor = new WorkflowExecutor(new StepCatalog([new TemplateStep()]), TimeProvider.System);
        Assert.Contains(workflow.Steps, s => s.When is not null);
        Assert.Contains(workflow.Steps, s => s.ForEach is not null);
        Assert.Equal(2, workflow.Steps.Count(s => s.DependsOn is ["heading"]));

        var low = await executor.ExecuteAsync(Request(workflow, []), new NoJournal(), CancellationToken.None);
        var happy = await executor.ExecuteAsync(
            Request(workflow, new() { ["feedback"] = JsonNode.Parse("""[{"from": "Grace", "rating": 5, "text": "Great"}]""") }),
            new NoJournal(), CancellationToken.None);

        Assert.True(low.Success, string.Join("\n", low.Errors));
        Assert.Equal(3, low.Outputs["replies"]!.AsArray().Count);
        var digest = low.Outputs["digest"]!.GetValue<string>();
        Assert.StartsWith("# Feedback digest for AI Orchestra\n\n[\"0. Dear Ada, thank you for rating AI Orchestra 2 of 5", digest);
        Assert.EndsWith("\n\nEscalate to Sam: Ada and others rated AI Orchestra at 2 or below.", digest);
        Assert.True(happy.Success);
        Assert.Equal(StepStatus.Skipped, happy.Steps.Single(s => s.StepId == "escalation").Status);
        Assert.EndsWith("\"]\n\n", happy.Outputs["digest"]!.GetValue<string>());
    }

    private static RunRequest Request(Workflow workflow, Dictionary<string, JsonNode?> inputs) =>
        new() { RunId = "r", OwnerId = "o", Workflow = workflow, Inputs = inputs };

    private sealed class NoJournal : IRunJournal
    {
        public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void StepDelta(string stepId, string text)
        {
        }
    }

    [Theory]
    [MemberData(nameof(PromptFiles))]
    public void Each_prompt_has_the_seed_shape_and_declares_exactly_the_variables_it_uses(string file)
    {
        var prompt = ReadPrompt(Path.GetFileNameWithoutExtension(file));

        Assert.Equal(["template_id", "name", "description", "template", "variables"], prompt.Select(p => p.Key));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), prompt["template_id"]!.GetValue<string>());
        var used = Template.Parse(prompt["template"]!.GetValue<string>()).References.Select(r => r.Name).Distinct();
        var declared = prompt["variables"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(used.Order(), declared.Order());
    }

    [Fact]
    public void Prompt_steps_of_the_examples_name_existing_prompts_and_give_all_their_variables()
    {
        var promptSteps = FileNames(WorkflowsFolder).Select(ReadExample)
            .SelectMany(w => w.Steps)
            .Where(s => s.StepType == "prompt")
            .ToList();

        Assert.NotEmpty(promptSteps);
        foreach (var step in promptSteps)
        {
            var prompt = ReadPrompt(step.Parameters["template_id"]!.GetValue<string>());
            var needed = prompt["variables"]!.AsArray().Select(v => v!.GetValue<string>()).Order();
            Assert.Equal(needed, step.Parameters["variables"]!.AsObject().Select(p => p.Key).Order());
        }
    }
}
