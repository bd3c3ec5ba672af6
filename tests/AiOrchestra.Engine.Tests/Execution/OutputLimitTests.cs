using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>Rendered text per parameter and kept output per step and per run are capped, with errors naming the setting.</summary>
public sealed class OutputLimitTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public void Rendering_stops_as_soon_as_the_budget_is_spent()
    {
        // rendered in full this would be 100,000 x 100 KB = 10 GB: only stopping early lets the test finish at all
        var template = Template.Parse(string.Concat(Enumerable.Repeat("{{x}}", 100_000)));
        var scope = new Dictionary<string, JsonNode?> { ["x"] = new string('x', 100_000) };
        var budget = new RenderBudget(1024 * 1024);

        var error = Assert.Throws<TemplateLimitException>(() => template.Render(scope, budget));

        Assert.InRange(budget.Used, 1024 * 1024 + 1, 1024 * 1024 + 100_000);
        Assert.Contains("larger than 1 MiB", error.Message);
        Assert.Contains("Runs__MaxRenderedParameterBytes", error.Message);
    }

    [Fact]
    public void One_budget_covers_every_string_and_kept_value_inside_a_parameter()
    {
        var scope = new Dictionary<string, JsonNode?> { ["list"] = new JsonArray(new string('a', 400), new string('b', 400)) };
        var parameter = new JsonObject { ["first"] = "{{list}}", ["second"] = "{{list}}" };

        Assert.NotNull(Template.RenderNode(parameter, scope, new RenderBudget(2000)));
        Assert.Throws<TemplateLimitException>(() => Template.RenderNode(parameter, scope, new RenderBudget(1500)));
    }

    [Fact]
    public async Task A_workflow_that_multiplies_text_fails_at_the_parameter_that_passes_the_limit()
    {
        // each step repeats the one before ten times: 10 bytes, 100, 1,000, 10,000, ...
        var steps = new List<WorkflowStep> { TemplateStep("s0", "0123456789") };
        for (var i = 1; i <= 8; i++)
        {
            steps.Add(TemplateStep($"s{i}", string.Concat(Enumerable.Repeat($"{{{{s{i - 1}}}}}", 10))));
        }
        var limits = new ExecutionLimits { MaxRenderedParameterBytes = 50_000 };

        var result = await Executor(limits).ExecuteAsync(Run([.. steps]), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(StepStatus.Succeeded, result.Steps[3].Status);
        Assert.Equal(StepStatus.Failed, result.Steps[4].Status);
        Assert.Equal(5, result.Steps.Count);
        Assert.Equal(
            "parameter 'text': the rendered text is larger than 48.8 KiB, the most one parameter may render "
            + "(setting Runs__MaxRenderedParameterBytes); reference large values fewer times, or raise the limit",
            result.Steps[4].Error);
    }

    [Fact]
    public async Task An_output_over_the_step_limit_fails_the_step_and_is_not_kept()
    {
        var big = new FakeStep("big", _ => new JsonObject { ["text"] = new string('x', 2000) });
        var limits = new ExecutionLimits { MaxStepOutputBytes = 1000 };

        var result = await Executor(limits, big).ExecuteAsync(Run(Step("a", "big")), _journal, CancellationToken.None);

        Assert.False(result.Success);
        var step = Assert.Single(_journal.Finished);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Null(step.Output);
        Assert.Equal(
            "the output is larger than 1000 bytes, the most one step may keep (setting Runs__MaxStepOutputBytes); ask for less, or raise the limit",
            step.Error);
    }

    [Fact]
    public async Task Outputs_over_the_run_limit_together_fail_the_step_that_passes_it()
    {
        var medium = new FakeStep("medium", _ => new string('x', 400));
        var limits = new ExecutionLimits { MaxStepOutputBytes = 1000, MaxRunOutputBytes = 1000 };

        var result = await Executor(limits, medium).ExecuteAsync(
            Run(Step("a", "medium"), Step("b", "medium"), Step("c", "medium")), _journal, CancellationToken.None);

        Assert.Equal([StepStatus.Succeeded, StepStatus.Succeeded, StepStatus.Failed], result.Steps.Select(s => s.Status));
        Assert.Contains("the run's outputs together would be larger than 1000 bytes", result.Steps[2].Error);
        Assert.Contains("Runs__MaxRunOutputBytes", result.Steps[2].Error);
    }

    [Fact]
    public async Task Outputs_of_steps_finished_before_a_resume_count_towards_the_run_limit()
    {
        var medium = new FakeStep("medium", _ => new string('x', 400));
        var limits = new ExecutionLimits { MaxRunOutputBytes = 1000 };
        var finished = new StepRecord { StepId = "a", Index = 0, Status = StepStatus.Succeeded, Output = new string('y', 700), Attempts = 1 };
        var request = Run(Step("a", "medium"), Step("b", "medium")) with { FinishedSteps = [finished] };

        var result = await Executor(limits, medium).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(StepStatus.Failed, result.Steps[1].Status);
        Assert.Equal(1, medium.Calls);
    }

    private WorkflowExecutor Executor(ExecutionLimits limits, params IStepType[] types) =>
        new(new StepCatalog([.. types, new AiOrchestra.Engine.Steps.Template.TemplateStep()]), _time, new FixedRandom(1.0), limits);

    private static RunRequest Run(params WorkflowStep[] steps) =>
        new() { RunId = "run-1", OwnerId = "owner-1", Workflow = new Workflow { WorkflowId = "wf", Steps = steps } };

    private static WorkflowStep Step(string id, string type) => new() { StepId = id, StepType = type, Action = "run" };

    private static WorkflowStep TemplateStep(string id, string text) =>
        new() { StepId = id, StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = text } };
}
