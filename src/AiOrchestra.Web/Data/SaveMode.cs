namespace AiOrchestra.Web.Data;

/// <summary>Which saves a caller allows: the API's POST only creates, its PUT only replaces; the pages do either.</summary>
public enum SaveMode
{
    CreateOrReplace,
    Create,
    Replace,
}

/// <summary>How a save of a workflow or prompt ended; anything but <see cref="Saved"/> wrote nothing.</summary>
public enum SaveOutcome
{
    Saved,

    /// <summary>The document has errors (listed with the result).</summary>
    Invalid,

    /// <summary>Create only, but the owner already has one with that id.</summary>
    AlreadyExists,

    /// <summary>Replace only, but the owner has none with that id.</summary>
    NotFound,

    /// <summary>The caller named the version it replaces (If-Match), and the current one is another.</summary>
    VersionChanged,

    /// <summary>Another save of the same id got in between; reading it again and retrying resolves it.</summary>
    ChangedConcurrently,
}
