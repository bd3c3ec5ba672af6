using System.Text.Json.Nodes;

namespace AiOrchestra.Plugins;

/// <summary>
/// The version of this contract. A plugin states the version it was built against with
/// <c>[assembly: PluginContract(PluginContract.Version)]</c>; the app loads plugins of its own version only.
/// </summary>
public static class PluginContract
{
    public const int Version = 1;
}

/// <summary>Marks an assembly as an AI Orchestra plugin built against contract <paramref name="version"/>.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class PluginContractAttribute(int version) : Attribute
{
    public int Version { get; } = version;
}

/// <summary>
/// A step type a plugin adds. Every public, non-abstract class implementing it (with a public constructor taking no
/// arguments) is registered under its <see cref="Name"/>, which becomes the <c>step_type</c> of workflow files.
/// </summary>
public interface IPluginStep
{
    /// <summary>The <c>step_type</c>: letters, digits and '_'; it may not be the name of a step type that exists.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Its actions and their parameters: the editor's fields, the API docs and the validator read them.</summary>
    IReadOnlyList<PluginAction> Actions { get; }

    /// <summary>
    /// Runs one attempt. Throw <see cref="PluginStepException"/> for a failure a person can act on (set transient for
    /// one worth retrying); honour the token (time limit and cancel).
    /// </summary>
    Task<JsonNode?> ExecuteAsync(PluginCall call, CancellationToken cancellationToken);
}

/// <summary>One action of a plugin step with its parameters.</summary>
public sealed record PluginAction(string Name, string Description, IReadOnlyList<PluginParameter> Parameters);

/// <summary>One parameter: its JSON type (string, integer, number, boolean, object, array or any), whether it is required, and what it is for.</summary>
public sealed record PluginParameter(string Name, string Type, bool Required, string Description);

/// <summary>
/// One call of a plugin step: the action, its parameters rendered from the run, the run and step it belongs to, and
/// an HTTP client whose every connection passes the app's outbound policy (addresses typed into workflows).
/// </summary>
public sealed record PluginCall(string Action, JsonObject Parameters, string RunId, string StepId, HttpClient Http);

/// <summary>A failure a person can act on; a transient one may be retried by the step's retry settings.</summary>
public sealed class PluginStepException(string message, bool transient = false) : Exception(message)
{
    public bool Transient { get; } = transient;
}
