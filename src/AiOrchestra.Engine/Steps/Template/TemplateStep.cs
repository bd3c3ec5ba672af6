using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Steps.Template;

/// <summary><c>template</c> / <c>render</c>: outputs its <c>text</c> with every <c>{{ }}</c> filled in. Needs no API key.</summary>
public sealed class TemplateStep : IStepType
{
    public string Name => "template";

    public string Description => "Renders a text from variables and earlier steps' outputs.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("render", "Outputs the text with every {{variable}} filled in.",
        [
            new StepParameter("text", ParameterType.String, Required: true,
                "The text to render, e.g. \"Hello {{name}}\"; a whole-text reference to an object renders as compact JSON."),
        ]),
    ];

    // The executor has already rendered the parameters; rendering again would re-scan values for braces.
    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) =>
        Task.FromResult<JsonNode?>(JsonValue.Create(TextOf(call.Parameters)));

    private static string TextOf(JsonObject parameters)
    {
        if (!parameters.ContainsKey("text") || parameters["text"] is null)
        {
            throw new StepFailedException("parameter 'text' is required");
        }
        return Templating.Template.AsText(parameters["text"]);
    }
}
