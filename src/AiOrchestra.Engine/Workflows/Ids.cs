using System.Text.RegularExpressions;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// The rules for ids, in one place for every caller (validator, stores, API, pages). Anchored with <c>\A…\z</c>:
/// <c>^…$</c> would also accept a trailing newline, which then breaks URLs and headers built from the id.
/// </summary>
public static partial class Ids
{
    /// <summary>A workflow's id: lower-case letters, digits, '_' or '-'.</summary>
    [GeneratedRegex(@"\A[a-z0-9_-]{1,64}\z")]
    public static partial Regex WorkflowId();

    /// <summary>Step ids and variable names: what a {{ }} reference can name.</summary>
    [GeneratedRegex(@"\A[A-Za-z0-9_]{1,64}\z")]
    public static partial Regex Name();

    /// <summary>A prompt template's id: letters, digits, '_' or '-'.</summary>
    [GeneratedRegex(@"\A[A-Za-z0-9_-]{1,64}\z")]
    public static partial Regex PromptId();

    /// <summary>MCP tool names: what MCP clients and the model providers' function names accept.</summary>
    [GeneratedRegex(@"\A[A-Za-z0-9_-]{1,64}\z")]
    public static partial Regex ToolName();
}
