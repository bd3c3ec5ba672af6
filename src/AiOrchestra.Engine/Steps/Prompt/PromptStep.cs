using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Steps.Prompt;

/// <summary><c>prompt</c> / <c>render</c>: renders a stored prompt template of the run's owner with the given variables.</summary>
public sealed class PromptStep(IPromptLibrary library) : IStepType
{
    public string Name => "prompt";

    public string Description => "Renders a stored prompt template.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("render", "Outputs a stored prompt template's text with its variables filled in.",
        [
            new StepParameter("template_id", ParameterType.String, Required: true, "The id of the prompt template to render."),
            new StepParameter("variables", ParameterType.Object, Required: false,
                "Values for the template's variables, e.g. {\"topic\": \"{{topic}}\"}."),
        ]),
    ];

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var templateId = StepParameters.RequiredText(call.Parameters, "template_id");
        var variables = StepParameters.Object(call.Parameters, "variables");
        var prompt = await library.FindAsync(call.Context.OwnerId, templateId, cancellationToken)
            ?? throw new StepFailedException($"prompt template '{templateId}' was not found");
        call.Context.OpenLedger().PromptRendered(prompt.TemplateId, prompt.Version);

        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in variables ?? [])
        {
            values[name] = value;
        }
        try
        {
            return JsonValue.Create(prompt.Render(values, new RenderBudget(call.Context.MaxRenderedBytes)));
        }
        catch (TemplateException e)
        {
            throw new StepFailedException($"prompt template '{templateId}': {e.Message}");
        }
    }
}
