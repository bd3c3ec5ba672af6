using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Steps.Wait;

/// <summary>
/// <c>wait</c> / <c>for</c> {seconds} and <c>until</c> {time}: the run pauses until then, holding no worker, and the
/// wait is kept in the database so a restart does not lose it. A time already passed does not wait. The output is null.
/// </summary>
public sealed class WaitStep(TimeSpan longest) : IWaitingStepType
{
    public static readonly TimeSpan DefaultLongest = TimeSpan.FromDays(30);

    public WaitStep() : this(DefaultLongest)
    {
    }

    public string Name => "wait";

    public string Description => "Pauses the run for a while or until a time (the run holds no worker while it waits).";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("for", "Waits this many seconds.",
        [
            new StepParameter("seconds", ParameterType.Number, Required: true, "How long to wait, in seconds, e.g. 3600 for an hour."),
        ]),
        new("until", "Waits until a point in time.",
        [
            new StepParameter("time", ParameterType.String, Required: true,
                "An ISO 8601 date and time with its offset, e.g. \"2026-12-01T09:00:00Z\" or \"2026-12-01T10:00:00+01:00\"."),
        ]),
    ];

    public IEnumerable<ValidationError> CheckParameters(string action, JsonObject parameters, string path)
    {
        if (action == "for" && parameters["seconds"] is JsonValue seconds && seconds.GetValueKind() == JsonValueKind.Number
            && SecondsProblem(StepParameters.Number(parameters, "seconds")!.Value) is { } problem)
        {
            yield return new ValidationError(JsonValues.Child(path, "seconds"), problem);
        }
        if (action == "until" && parameters["time"] is JsonValue time && time.GetValueKind() == JsonValueKind.String
            && !time.GetValue<string>().Contains("{{", StringComparison.Ordinal) && !TryParseTime(time.GetValue<string>(), out _))
        {
            yield return new ValidationError(JsonValues.Child(path, "time"), TimeFormatProblem(time.GetValue<string>()));
        }
    }

    public StepWait? Begin(StepCall call, DateTimeOffset now)
    {
        DateTimeOffset due;
        if (call.Action == "for")
        {
            var seconds = StepParameters.Number(call.Parameters, "seconds") ?? throw new StepFailedException("parameter 'seconds' is required");
            if (SecondsProblem(seconds) is { } problem)
            {
                throw new StepFailedException($"parameter 'seconds' {problem}");
            }
            due = now + TimeSpan.FromSeconds(seconds);
        }
        else
        {
            var text = StepParameters.RequiredText(call.Parameters, "time");
            if (!TryParseTime(text, out due))
            {
                throw new StepFailedException($"parameter 'time' {TimeFormatProblem(text)}");
            }
            if (due - now > longest)
            {
                throw new StepFailedException(
                    $"parameter 'time' is {text}, more than {longest.TotalDays:0.#} days from now, the longest a run may wait (setting Runs__MaxWaitDays)");
            }
        }
        return due <= now ? null : new StepWait(WaitKind.Time, due);
    }

    /// <summary>A wait step only pauses a run; the executor never calls it.</summary>
    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) =>
        throw new StepFailedException("a wait step can only run inside a run of the server, which keeps the wait");

    private string? SecondsProblem(double seconds) =>
        seconds < 0 || seconds > longest.TotalSeconds
            ? $"must be between 0 and {longest.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds ({longest.TotalDays:0.#} days, setting Runs__MaxWaitDays), got {seconds.ToString(CultureInfo.InvariantCulture)}"
            : null;

    /// <summary>A date and time with an offset: without one, the time would depend on the server's time zone.</summary>
    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text.Trim(), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"],
            CultureInfo.InvariantCulture, DateTimeStyles.None, out time)
        && (text.TrimEnd().EndsWith('Z') || text.Contains('+') || text.LastIndexOf('-') > 9);

    private static string TimeFormatProblem(string text) =>
        $"is '{(text.Length <= 40 ? text : text[..40] + "…")}', not an ISO 8601 date and time with an offset; write e.g. \"2026-12-01T09:00:00Z\"";
}
