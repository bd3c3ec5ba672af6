namespace AiOrchestra.Engine.Execution;

/// <summary>Bounds the host puts on what one run may do at once.</summary>
public sealed record ExecutionLimits
{
    /// <summary>Most items one for_each may have (<c>Runs__MaxLoopItems</c>); past it the step fails with this limit named.</summary>
    public int MaxLoopItems { get; init; } = 1000;

    /// <summary>Most steps (parallel branches) or loop items of one run running at once (<c>Runs__Concurrency</c>).</summary>
    public int MaxConcurrency { get; init; } = 64;
}
