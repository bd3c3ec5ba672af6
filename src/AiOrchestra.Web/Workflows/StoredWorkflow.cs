using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Workflows;

/// <summary>A workflow as saved: its current definition and which version that is.</summary>
public sealed record StoredWorkflow(Workflow Workflow, int Version, long VersionId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One line of a user's workflow list.</summary>
public sealed record WorkflowSummary(string WorkflowId, string Name, string? Description, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One saved version of a workflow (versions are immutable), with who saved it (null for versions saved before authors were kept).</summary>
public sealed record WorkflowVersionSummary(long VersionId, int Number, DateTimeOffset SavedAt, string? SavedBy);

/// <summary>Either the saved workflow, or why it was not saved (nothing was written then): its errors, or the outcome.</summary>
public sealed record WorkflowSaveResult(StoredWorkflow? Saved, IReadOnlyList<ValidationError> Errors, SaveOutcome Outcome)
{
    public bool Succeeded => Saved is not null;

    /// <summary>The current version when the outcome is <see cref="SaveOutcome.VersionChanged"/>.</summary>
    public int? CurrentVersion { get; init; }

    internal static WorkflowSaveResult Refused(SaveOutcome outcome) => new(null, [], outcome);
}
