using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Engine.Steps.Wait;

namespace AiOrchestra.Engine.Steps.Approval;

/// <summary>
/// <c>approval</c> / <c>request</c>: the run waits for a person to approve or reject, from the run's page or the API.
/// Approved: the output is <c>{approved: true, by, comment, at}</c>. Rejected: the step fails with the reason (its
/// output, <c>approved: false</c>, is kept for a workflow that continues on error). Unanswered after
/// <c>timeout_hours</c>: the step fails.
/// </summary>
public sealed class ApprovalStep(TimeSpan longest) : IWaitingStepType
{
    public const double DefaultTimeoutHours = 72;

    public ApprovalStep() : this(WaitStep.DefaultLongest)
    {
    }

    public string Name => "approval";

    public string Description => "Pauses the run until a person approves or rejects it (the run holds no worker while it waits).";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("request", "Asks for approval; the run goes on once approved, and the step fails when rejected or unanswered in time.",
        [
            new StepParameter("message", ParameterType.String, Required: true,
                "What the person is asked to approve, shown on the run's page, e.g. \"Publish the summary of {{topic}}?\""),
            new StepParameter("timeout_hours", ParameterType.Number, Required: false,
                $"How long to wait for an answer before the step fails (default {DefaultTimeoutHours})."),
        ]),
    ];

    public IEnumerable<ValidationError> CheckParameters(string action, JsonObject parameters, string path)
    {
        if (parameters["timeout_hours"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && Problem(StepParameters.Number(parameters, "timeout_hours")!.Value) is { } problem)
        {
            yield return new ValidationError(JsonValues.Child(path, "timeout_hours"), problem);
        }
    }

    public StepWait? Begin(StepCall call, DateTimeOffset now)
    {
        var message = StepParameters.RequiredText(call.Parameters, "message");
        var hours = StepParameters.Number(call.Parameters, "timeout_hours") ?? DefaultTimeoutHours;
        if (Problem(hours) is { } problem)
        {
            throw new StepFailedException($"parameter 'timeout_hours' {problem}");
        }
        return new StepWait(WaitKind.Approval, now + TimeSpan.FromHours(hours), message);
    }

    /// <summary>An approval step only pauses a run; the executor never calls it.</summary>
    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) =>
        throw new StepFailedException("an approval step can only run inside a run of the server, which waits for the answer");

    private string? Problem(double hours) =>
        hours <= 0 || hours > longest.TotalHours
            ? $"must be more than 0 and at most {longest.TotalHours.ToString(CultureInfo.InvariantCulture)} hours ({longest.TotalDays:0.#} days, setting Runs__MaxWaitDays), got {hours.ToString(CultureInfo.InvariantCulture)}"
            : null;
}
