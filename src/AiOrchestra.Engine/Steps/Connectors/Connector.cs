using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;

namespace AiOrchestra.Engine.Steps.Connectors;

/// <summary>
/// An HTTP API described by a connector file (<c>data/connectors/*.json</c>): where it is, how it authenticates, and
/// its actions. Each connector becomes a step type named <see cref="Name"/>.
/// </summary>
public sealed record Connector(
    string Name, string Title, string Description, string BaseUrl, ConnectorAuth Auth,
    IReadOnlyList<ConnectorCredential> Credentials, IReadOnlyList<ConnectorAction> Actions, string File)
{
    /// <summary>The configuration key of one of its credentials: <c>Connectors:slack:token</c> (environment: <c>Connectors__slack__token</c>).</summary>
    public string CredentialKey(string credential) => $"Connectors:{Name}:{credential}";

    /// <summary>The setting that moves its calls elsewhere (a self-hosted server, a local fake): <c>Connectors:slack:BaseUrl</c>.</summary>
    public string BaseUrlKey => $"Connectors:{Name}:BaseUrl";

    /// <summary>
    /// Its credentials and server as an integration's: Settings, the secret store and redaction read connectors as they
    /// read the built-in integrations. Its calls go through the connectors' one client; it has no connection check.
    /// </summary>
    public Integration Integration => new(Name, $"{Title} (connector {System.IO.Path.GetFileName(File)})", $"Connectors:{Name}")
    {
        Credentials = Credentials.Select(credential => new IntegrationCredential(CredentialKey(credential.Name), credential.Label, credential.Secret)).ToList(),
        Settings = [new IntegrationSetting(BaseUrlKey, "Server", BaseUrl)],
    };
}

/// <summary>How a connector's calls carry its credentials.</summary>
public enum ConnectorAuthKind
{
    /// <summary>No credentials.</summary>
    None,
    /// <summary><c>Authorization: Bearer &lt;credential&gt;</c>.</summary>
    Bearer,
    /// <summary>A header of its own name holding the credential as it is (<c>Authorization: lin_api_…</c>, <c>X-Api-Key: …</c>).</summary>
    Header,
    /// <summary>HTTP Basic with a user name and a password credential (Jira: e-mail and API token).</summary>
    Basic,
    /// <summary>A query parameter of its own name holding the credential.</summary>
    Query,
}

/// <summary>The authentication of a connector: its kind, which credential(s) it sends, and under which header or query name.</summary>
public sealed record ConnectorAuth(ConnectorAuthKind Kind, string? Credential, string? Name, string? UsernameCredential);

/// <summary>A credential a connector needs, kept like the integrations' (encrypted on Settings, or configuration).</summary>
public sealed record ConnectorCredential(string Name, string Label, bool Secret);

/// <summary>
/// One action: an HTTP request made from the step's parameters (a path with <c>{{parameter}}</c> placeholders, query
/// and body mappings) and which part of the JSON response is the step's output.
/// </summary>
public sealed record ConnectorAction(
    string Name, string Description, HttpMethod Method, string Path, IReadOnlyList<StepParameter> Parameters,
    JsonObject? Query, JsonNode? Body, string? Output, string? ErrorPath)
{
    public StepAction ToStepAction() => new(Name, Description, Parameters);
}
