using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.SubWorkflow;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>The workflow step: a child's outputs as the step's output, one child per item, the depth limit and cycles at run time.</summary>
public sealed class SubWorkflowTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public async Task The_childs_outputs_by_step_id_become_the_steps_output_and_the_child_gets_the_variables()
    {
        var children = new Children(this, Workflow("greet", Template("hello", "Hello {{name}}")));
        var parent = Workflow("main",
            Sub("sub", "greet", new JsonObject { ["name"] = "{{who}}" }),
            Template("after", "got: {{sub_output.hello}}"));

        var result = await children.Executor.ExecuteAsync(Run(parent, ("who", "Ada")), _journal, CancellationToken.None);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal("""{"hello":"Hello Ada"}""", result.Outputs["sub"]!.ToJsonString());
        Assert.Equal("got: Hello Ada", result.Outputs["after"]!.GetValue<string>());
        var child = Assert.Single(children.Started);
        Assert.Equal(("run-1", "sub", 0, (int?)null, "greet"), (child.ParentRunId, child.ParentStepId, child.ParentStepIndex, child.ItemIndex, child.WorkflowId));
        Assert.Equal(["main"], child.Path);
    }

    [Fact]
    public async Task With_for_each_one_child_runs_per_item_and_the_output_is_the_list_of_their_outputs()
    {
        var children = new Children(this, Workflow("greet", Template("hello", "Hello {{name}}")));
        var parent = Workflow("main", Sub("each", "greet", new JsonObject { ["name"] = "{{item}}" }) with { ForEach = "{{names}}", Concurrency = 2 });

        var result = await children.Executor.ExecuteAsync(Run(parent, ("names", new JsonArray("Ada", "Grace", "Linus"))), _journal, CancellationToken.None);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal("""[{"hello":"Hello Ada"},{"hello":"Hello Grace"},{"hello":"Hello Linus"}]""", result.Outputs["each"]!.ToJsonString());
        Assert.Equal([0, 1, 2], children.Started.Select(c => c.ItemIndex!.Value).Order());
        Assert.Equal(3, children.Started.Select(c => c.Key).Distinct().Count());
    }

    [Fact]
    public async Task A_child_that_fails_fails_the_step_with_its_reason_and_run_id()
    {
        var broken = new FakeStep("broken", _ => throw new StepFailedException("the stub said no"));
        var children = new Children(this, Workflow("child", Step("boom", "broken"))) { Extra = [broken] };
        var parent = Workflow("main", Sub("sub", "child"));

        var result = await children.Executor.ExecuteAsync(Run(parent), _journal, CancellationToken.None);

        Assert.False(result.Success);
        var error = Assert.Single(result.Errors);
        Assert.Contains("child run child-1 of workflow 'child' did not succeed", error);
        Assert.Contains("the stub said no", error);
    }

    [Fact]
    public async Task An_unknown_workflow_fails_the_step_saying_so()
    {
        var children = new Children(this);
        var parent = Workflow("main", Sub("sub", "{{target}}"));

        var result = await children.Executor.ExecuteAsync(Run(parent, ("target", "nowhere")), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(["step 'sub' failed: there is no workflow 'nowhere'"], result.Errors);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_fails_the_step_that_would_go_past_it_naming_the_chain_and_the_setting()
    {
        // w0 runs w1 runs w2 ... : with a limit of 2, w2 may not start w3
        var chain = Enumerable.Range(0, 4)
            .Select(i => Workflow($"w{i}", i < 3 ? Sub("next", $"w{i + 1}") : Template("end", "bottom")))
            .ToArray();
        var children = new Children(this, chain) { MaxDepth = 2 };

        var result = await children.Executor.ExecuteAsync(Run(chain[0]), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(2, children.Started.Count);
        Assert.Contains("sub-workflows would nest 3 deep (w0 → w1 → w2 → w3), over the limit of 2 (Runs__MaxWorkflowDepth)", string.Join("\n", children.Failures));
    }

    [Fact]
    public async Task A_cycle_that_validation_cannot_see_fails_at_run_time_before_the_child_starts()
    {
        // a runs b (written out); b runs the workflow its variable names, which is a
        var children = new Children(this,
            Workflow("a", Sub("to_b", "b")),
            Workflow("b", Sub("back", "{{target}}")) with { Variables = new Dictionary<string, JsonNode?> { ["target"] = "a" } });

        var result = await children.Executor.ExecuteAsync(Run(children.Workflows["a"]), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Single(children.Started);
        Assert.Contains("workflow 'a' is already running above this step (a → b → a): a workflow cannot run itself, directly or through others",
            string.Join("\n", children.Failures));
    }

    [Fact]
    public async Task A_sub_workflow_step_has_no_default_time_limit_of_its_own()
    {
        var children = new Children(this, Workflow("greet", Template("hello", "hi")));
        await children.Executor.ExecuteAsync(Run(Workflow("main", Sub("sub", "greet"))), _journal, CancellationToken.None);

        // one time limit: the child's template step's; none around the workflow step that waits for it
        Assert.Single(_time.Timers, t => t == TimeSpan.FromSeconds(60));
    }

    private static RunRequest Run(Workflow workflow, params (string Name, JsonNode? Value)[] inputs) => new()
    {
        RunId = "run-1",
        OwnerId = "owner-1",
        Workflow = workflow,
        Inputs = inputs.ToDictionary(i => i.Name, i => i.Value),
    };

    private static Workflow Workflow(string id, params WorkflowStep[] steps) => new() { WorkflowId = id, Steps = steps };

    private static WorkflowStep Template(string id, string text) =>
        new() { StepId = id, StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = text } };

    private static WorkflowStep Step(string id, string type) => new() { StepId = id, StepType = type, Action = "run" };

    private static WorkflowStep Sub(string id, string workflowId, JsonObject? variables = null)
    {
        var parameters = new JsonObject { ["workflow_id"] = workflowId };
        if (variables is not null)
        {
            parameters["variables"] = variables;
        }
        return new() { StepId = id, StepType = "workflow", Action = "run", Parameters = parameters };
    }

    /// <summary>Child runs in memory: each one executed by the same executor, numbered child-1, child-2, ...</summary>
    private sealed class Children(SubWorkflowTests test, params Workflow[] workflows) : IChildRuns
    {
        private readonly ConcurrentQueue<ChildRun> _started = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private int _count;
        private WorkflowExecutor? _executor;

        public Dictionary<string, Workflow> Workflows { get; } = workflows.ToDictionary(w => w.WorkflowId);
        public IStepType[] Extra { get; init; } = [];
        public int MaxDepth { get; init; } = SubWorkflows.DefaultMaxDepth;
        public IReadOnlyList<ChildRun> Started => _started.ToList();

        /// <summary>Every failed step's error, of the parent and of the children.</summary>
        public IReadOnlyList<string> Failures => _failures.ToList();

        public WorkflowExecutor Executor =>
            _executor ??= new(new StepCatalog([.. Extra, new TemplateStep(), new SubWorkflowStep(this, MaxDepth)]), test._time, new FixedRandom(1.0));

        public async Task<ChildRunResult> RunAsync(ChildRun request, CancellationToken cancellationToken)
        {
            if (!Workflows.TryGetValue(request.WorkflowId, out var workflow))
            {
                return new ChildRunResult(null, false, null, $"there is no workflow '{request.WorkflowId}'");
            }
            _started.Enqueue(request);
            var runId = $"child-{Interlocked.Increment(ref _count)}";
            var result = await Executor.ExecuteAsync(
                new RunRequest { RunId = runId, OwnerId = request.OwnerId, Workflow = workflow, Inputs = request.Inputs, Ancestors = request.Path },
                new RecordingJournal(), cancellationToken);
            foreach (var error in result.Errors)
            {
                _failures.Enqueue(error);
            }
            var outputs = new JsonObject();
            foreach (var (stepId, output) in result.Outputs)
            {
                outputs[stepId] = output?.DeepClone();
            }
            return new ChildRunResult(runId, result.Success, outputs, string.Join("; ", result.Errors));
        }
    }
}
