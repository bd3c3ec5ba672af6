using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// A step type named <c>fake</c> for store and run tests: it counts its calls, and can block until released,
/// fail, or track how many calls run at once. One instance may serve two hosts (a restart).
/// </summary>
public sealed class FakeSteps : IStepType
{
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private int _running;
    private int _maxRunning;
    private volatile TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "fake";

    public string Description => "Test steps";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("echo", "Returns its text", [new StepParameter("text", ParameterType.String, true, "what to return")]),
        new("block", "Waits until released, then returns its text", [new StepParameter("text", ParameterType.String, true, "what to return")]),
        new("fail", "Fails with its text", [new StepParameter("text", ParameterType.String, true, "the error")]),
        new("flaky", "Fails transiently on its first call, then returns its text", [new StepParameter("text", ParameterType.String, true, "what to return")]),
        new("fail_first", "Fails on the first call of its step id in any run, then returns its text", [new StepParameter("text", ParameterType.String, true, "what to return")]),
    ];

    /// <summary>Completed each time a <c>block</c> step starts waiting.</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When false, <c>block</c> steps return at once.</summary>
    public bool Blocking { get; set; } = true;

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public int Calls(string runId, string stepId) => _calls.GetValueOrDefault($"{runId}/{stepId}");

    public int CallsOfStep(string stepId) => _calls.Where(c => c.Key.EndsWith("/" + stepId, StringComparison.Ordinal)).Sum(c => c.Value);

    public TaskCompletionSource ResetEntered() => Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release()
    {
        var release = _release;
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        release.TrySetResult();
    }

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var calls = _calls.AddOrUpdate($"{call.Context.RunId}/{call.Context.StepId}", 1, (_, n) => n + 1);
        var running = Interlocked.Increment(ref _running);
        try
        {
            int max;
            while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
            {
            }
            var text = call.Parameters["text"]!.GetValue<string>();
            switch (call.Action)
            {
                case "block" when Blocking:
                    var release = _release.Task;
                    Entered.TrySetResult();
                    await release.WaitAsync(cancellationToken);
                    return text;
                case "fail":
                    throw new StepFailedException(text);
                case "flaky" when calls == 1:
                    throw new StepFailedException("busy, try again", transient: true);
                case "fail_first" when CallsOfStep(call.Context.StepId) == 1:
                    throw new StepFailedException("failed the first time");
                default:
                    await Task.Yield();
                    return text;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public static WorkflowStep Step(string stepId, string action, string text) => new()
    {
        StepId = stepId, StepType = "fake", Action = action, Parameters = new JsonObject { ["text"] = text },
    };

    public static Workflow Workflow(string workflowId, params WorkflowStep[] steps) => new()
    {
        WorkflowId = workflowId, Name = workflowId, Steps = steps,
    };
}
