using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// What one run may take: how long a step attempt may last when the step sets no <c>timeout_seconds</c>, and how much
/// text a parameter may render and output a step and a run may keep. Errors name the host's setting for each limit.
/// </summary>
public sealed record ExecutionLimits
{
    public const string StepTimeoutSetting = "Runs__StepTimeoutSeconds";
    public const string LlmStepTimeoutSetting = "Runs__LlmStepTimeoutSeconds";
    public const string RenderedParameterSetting = "Runs__MaxRenderedParameterBytes";
    public const string StepOutputSetting = "Runs__MaxStepOutputBytes";
    public const string RunOutputSetting = "Runs__MaxRunOutputBytes";

    public static ExecutionLimits Default { get; } = new();

    /// <summary>Time limit of one attempt of a step without <c>timeout_seconds</c>.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The same for step types that call a language model (<see cref="IStepType.UsesLanguageModel"/>): answers take minutes.</summary>
    public TimeSpan LlmStepTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>UTF-8 bytes one parameter may render to (all the strings inside it together).</summary>
    public long MaxRenderedParameterBytes { get; init; } = RenderBudget.DefaultMaxBytes;

    /// <summary>Size of one step's output as JSON.</summary>
    public long MaxStepOutputBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Size of all the outputs of one run together, as JSON.</summary>
    public long MaxRunOutputBytes { get; init; } = 32 * 1024 * 1024;
}
