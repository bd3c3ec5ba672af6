namespace AiOrchestra.Web.Runs;

/// <summary>What a cancel request did.</summary>
public enum CancelResult
{
    /// <summary>The owner has no run with that id.</summary>
    NotFound,

    /// <summary>The run was queued and is now cancelled.</summary>
    Cancelled,

    /// <summary>The run is executing: its step in flight is aborted and it ends as cancelled.</summary>
    CancelRequested,

    /// <summary>The run had already finished; nothing changed.</summary>
    AlreadyFinished,
}
