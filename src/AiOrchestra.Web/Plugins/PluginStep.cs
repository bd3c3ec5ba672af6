using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Plugins;

namespace AiOrchestra.Web.Plugins;

/// <summary>A plugin's step type as the engine sees it: its actions mapped to the catalog's, its failures to step failures.</summary>
public sealed class PluginStep(string plugin, IPluginStep step, HttpClient http) : IStepType
{
    public string Name => step.Name;

    public string Description => $"{step.Description} (plugin {plugin})";

    public string Plugin => plugin;

    public IReadOnlyList<StepAction> Actions { get; } = step.Actions
        .Select(a => new StepAction(a.Name, a.Description, a.Parameters.Select(p => new StepParameter(p.Name, TypeOf(p.Type), p.Required, p.Description)).ToList()))
        .ToList();

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        try
        {
            return await step.ExecuteAsync(new PluginCall(call.Action, call.Parameters, call.Context.RunId, call.Context.StepId, http), cancellationToken);
        }
        catch (PluginStepException e)
        {
            throw new StepFailedException(e.Message, e.Transient);
        }
        catch (HttpRequestException e)
        {
            throw new StepFailedException($"{step.Name} could not reach its address: {e.Message}", transient: true);
        }
        catch (Exception e) when (e is not OperationCanceledException and not StepFailedException)
        {
            // a plugin's bug is this step's failure, never the worker's
            throw new StepFailedException($"the plugin {plugin} failed in {step.Name}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static ParameterType TypeOf(string type) => type switch
    {
        "integer" => ParameterType.Integer,
        "number" => ParameterType.Number,
        "boolean" => ParameterType.Boolean,
        "object" => ParameterType.Object,
        "array" => ParameterType.Array,
        "any" => ParameterType.Any,
        _ => ParameterType.String,
    };
}
