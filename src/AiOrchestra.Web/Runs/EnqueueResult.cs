using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Runs;

/// <summary>Either the id of the queued run, or why it was not queued (nothing was written then).</summary>
public sealed record EnqueueResult
{
    public string? RunId { get; init; }

    /// <summary>The workflow version the run will execute.</summary>
    public int Version { get; init; }

    /// <summary>The owner has no workflow with that id (an API answers 404).</summary>
    public bool WorkflowNotFound { get; init; }

    public IReadOnlyList<ValidationError> Errors { get; init; } = [];

    public bool Succeeded => RunId is not null;
}
