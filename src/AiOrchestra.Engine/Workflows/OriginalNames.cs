using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// The one table of the original AI-Orchestra's (Python) action and parameter names that differ from ours. A workflow
/// is read with them turned into ours, so every later part (validation, the editor, runs) sees one spelling; writing
/// in the original's format (<see cref="ToOriginal"/>) turns them back. The field spellings (<c>id</c>, <c>type</c>,
/// <c>params</c>) are the reader's.
/// </summary>
public static class OriginalNames
{
    /// <summary>One original action: its step type and name, our action, and its parameters' names that differ from ours.</summary>
    public sealed record ActionAlias(string StepType, string Original, string Ours, IReadOnlyDictionary<string, string> Parameters);

    private static readonly Dictionary<string, string> None = [];

    public static readonly IReadOnlyList<ActionAlias> Actions =
    [
        new("openai", "generate_completion", "generate_completion", new Dictionary<string, string> { ["system_prompt"] = "system" }),
        new("openai", "summarize", "summarize", None),
        new("openai", "generate_sop", "generate_completion", new Dictionary<string, string> { ["system_prompt"] = "system" }),
        new("github", "create_issue", "create_issue", new Dictionary<string, string> { ["repo_name"] = "repo" }),
        new("github", "commit_file", "create_file", new Dictionary<string, string> { ["repo_name"] = "repo", ["file_path"] = "path" }),
        new("github", "list_repositories", "list_repos", None),
        new("notion", "create_page", "create_page", new Dictionary<string, string> { ["parent_id"] = "parent_page_id" }),
        new("notion", "append_to_page", "append_content", None),
        new("notion", "search_pages", "search", None),
        new("gmail", "list_messages", "list_messages", None),
        new("gmail", "get_message", "get_message", new Dictionary<string, string> { ["message_id"] = "id" }),
    ];

    /// <summary>
    /// The original's <c>generate_sop</c> {task_description}: our <c>generate_completion</c> with this prompt before
    /// the task (the task's text keeps its own <c>{{ }}</c> references).
    /// </summary>
    public const string SopPrompt =
        "Write a clear, step-by-step standard operating procedure (SOP) in Markdown for the task below: its purpose, "
        + "scope, roles, prerequisites, numbered steps and checks.\n\nTask: ";

    /// <summary>The names the original gave our action <paramref name="ours"/> of <paramref name="stepType"/>, for "also accepted".</summary>
    public static IEnumerable<string> ActionNamesFor(string stepType, string ours) =>
        Actions.Where(a => a.StepType == stepType && a.Ours == ours && a.Original != ours).Select(a => a.Original);

    /// <summary>The names the original gave our parameter <paramref name="parameter"/> of an action, for "also accepted".</summary>
    public static IEnumerable<string> ParameterNamesFor(string stepType, string action, string parameter) =>
        Actions.Where(a => a.StepType == stepType && a.Ours == action)
            .SelectMany(a => a.Parameters.Where(p => p.Value == parameter).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal);

    /// <summary>The step with the original's action and parameter names turned into ours; any other step unchanged.</summary>
    public static WorkflowStep ToOurs(WorkflowStep step)
    {
        var alias = Actions.FirstOrDefault(a => a.StepType == step.StepType && a.Original == step.Action);
        if (alias is null || (alias.Original == alias.Ours && !alias.Parameters.Keys.Any(step.Parameters.ContainsKey)))
        {
            return step;
        }
        var parameters = new JsonObject();
        foreach (var (name, value) in step.Parameters)
        {
            var ours = alias.Parameters.GetValueOrDefault(name, name);
            // both spellings given: ours wins, as with settings
            if (ours != name && step.Parameters.ContainsKey(ours))
            {
                continue;
            }
            parameters[ours] = value?.DeepClone();
        }
        if (alias.Original == "generate_sop" && parameters["task_description"] is JsonValue task && task.TryGetValue<string>(out var text))
        {
            parameters.Remove("task_description");
            parameters["prompt"] = SopPrompt + text;
        }
        return step with { Action = alias.Ours, Parameters = parameters };
    }

    /// <summary>
    /// A workflow document in our format (as <see cref="WorkflowJson.Serialize"/> writes it) in the original's:
    /// <c>id</c>, <c>type</c>, <c>params</c>, and the original's action and parameter names where it had its own.
    /// </summary>
    public static JsonObject ToOriginal(JsonObject document)
    {
        var original = new JsonObject();
        foreach (var (key, value) in document)
        {
            original[key == "workflow_id" ? "id" : key] = key == "steps" && value is JsonArray steps
                ? new JsonArray(steps.Select(s => (JsonNode?)(s is JsonObject step ? StepToOriginal(step) : s?.DeepClone())).ToArray())
                : value?.DeepClone();
        }
        return original;
    }

    private static JsonObject StepToOriginal(JsonObject step)
    {
        var type = step["step_type"]?.GetValue<string>();
        var action = step["action"]?.GetValue<string>();
        // the first original action that maps onto ours without rewriting its prompt
        var alias = Actions.FirstOrDefault(a => a.StepType == type && a.Ours == action && a.Original != "generate_sop");
        var renamed = alias?.Parameters.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal) ?? [];
        var original = new JsonObject();
        foreach (var (key, value) in step)
        {
            switch (key)
            {
                case "step_id":
                    original["id"] = value?.DeepClone();
                    break;
                case "step_type":
                    original["type"] = value?.DeepClone();
                    break;
                case "action":
                    original["action"] = alias?.Original ?? action;
                    break;
                case "parameters" when value is JsonObject parameters:
                    var originalParameters = new JsonObject();
                    foreach (var (name, parameter) in parameters)
                    {
                        originalParameters[renamed.GetValueOrDefault(name, name)] = parameter?.DeepClone();
                    }
                    original["params"] = originalParameters;
                    break;
                default:
                    original[key] = value?.DeepClone();
                    break;
            }
        }
        return original;
    }
}
