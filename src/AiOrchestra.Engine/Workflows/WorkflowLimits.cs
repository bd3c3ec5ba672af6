namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// Upper bounds on what a workflow file and a run's inputs may hold. They keep one careless or hostile
/// document from exhausting memory or the database; errors name the limit's value, not the constant.
/// </summary>
public static class WorkflowLimits
{
    /// <summary>Largest workflow document, in UTF-8 bytes (1 MiB). The seed's examples are under 2 KiB.</summary>
    public const int MaxDocumentBytes = 1024 * 1024;

    /// <summary>Most steps in one workflow.</summary>
    public const int MaxSteps = 100;

    /// <summary>Deepest nesting of objects and arrays in a workflow document (the root object is level 1).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most variables a workflow declares, and most inputs one run may pass.</summary>
    public const int MaxVariables = 100;

    /// <summary>Largest value of one variable or run input, in UTF-8 bytes of its JSON text (1 MiB).</summary>
    public const int MaxVariableValueBytes = 1024 * 1024;

    /// <summary>Longest workflow id, step id or variable name.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Most attempts of one step, the first included.</summary>
    public const int MaxRetryAttempts = 10;

    /// <summary>Longest wait between two attempts of a step, in milliseconds (5 minutes).</summary>
    public const int MaxRetryDelayMs = 5 * 60 * 1000;

    /// <summary>Longest time limit for one attempt of a step, in seconds (1 hour).</summary>
    public const int MaxTimeoutSeconds = 3600;

    /// <summary>Most items of a for_each run at once as a workflow may ask; a run also never exceeds <c>Runs__Concurrency</c>.</summary>
    public const int MaxLoopConcurrency = 1000;
}
