using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>
/// The step types of DESIGN.md §3 as schemas only: what the validator needs, without any integration behind them.
/// </summary>
internal static class FakeSteps
{
    public static StepCatalog Catalog { get; } = new(
    [
        Type("template", Action("render", Required("text"))),
        Type("prompt", Action("render", Required("template_id"), Optional("variables", ParameterType.Object))),
        Type("http", Action("request",
            Optional("method"), Required("url"), Optional("headers", ParameterType.Object),
            Optional("body", ParameterType.Any), Optional("expect_status", ParameterType.Integer))),
        Type("openai",
            Action("generate_completion",
                Optional("prompt"), Optional("template_id"), Optional("variables", ParameterType.Object), Optional("model"),
                Optional("system"), Optional("temperature", ParameterType.Number), Optional("max_tokens", ParameterType.Integer),
                Optional("output_schema", ParameterType.JsonSchema), Optional("provider")),
            Action("chat_completion",
                Optional("messages", ParameterType.Array), Optional("prompt"), Optional("model"), Optional("system"),
                Optional("temperature", ParameterType.Number), Optional("max_tokens", ParameterType.Integer)),
            Action("summarize", Required("text"), Optional("instructions"))),
        Type("github",
            Action("create_issue", Required("repo"), Required("title"), Optional("body"), Optional("labels", ParameterType.Array)),
            Action("update_issue", Required("repo"), Required("number", ParameterType.Integer), Optional("title"), Optional("body"), Optional("state")),
            Action("create_file", Required("repo"), Required("path"), Required("content"), Optional("message"), Optional("branch")),
            Action("list_repos", Optional("visibility"), Optional("limit", ParameterType.Integer)),
            Action("create_branch", Required("repo"), Required("branch"), Optional("from"))),
        Type("notion",
            Action("create_page", Optional("parent_page_id"), Optional("database_id"), Required("title"), Optional("content")),
            Action("append_content", Required("page_id"), Required("content")),
            Action("search", Required("query")),
            Action("query_database", Required("database_id"), Optional("filter", ParameterType.Object))),
        Type("gmail",
            Action("list_messages", Optional("query"), Optional("max_results", ParameterType.Integer)),
            Action("get_message", Required("id")),
            Action("search", Required("query"), Optional("max_results", ParameterType.Integer))),
    ]);

    public static IStepType Type(string name, params StepAction[] actions) => new SchemaOnlyStep(name, actions);

    public static StepAction Action(string name, params StepParameter[] parameters) => new(name, $"{name} (test)", parameters);

    public static StepParameter Required(string name, ParameterType type = ParameterType.String) =>
        new(name, type, Required: true, Description: $"The {name.Replace('_', ' ')}.");

    public static StepParameter Optional(string name, ParameterType type = ParameterType.String) =>
        new(name, type, Required: false, Description: $"The {name.Replace('_', ' ')}.");

    private sealed class SchemaOnlyStep(string name, IReadOnlyList<StepAction> actions) : IStepType
    {
        public string Name => name;
        public string Description => $"{name} (schema only)";
        public IReadOnlyList<StepAction> Actions => actions;

        public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("Validation tests never run steps.");
    }
}
