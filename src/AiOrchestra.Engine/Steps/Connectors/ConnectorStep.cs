using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Templating;
using Microsoft.Extensions.Configuration;

namespace AiOrchestra.Engine.Steps.Connectors;

/// <summary>
/// The step type a connector file defines: each action is one HTTP request made from the step's parameters, sent through
/// the connectors' HTTP pipeline (retries, time limits) with the connector's credentials, its output the part of the JSON
/// response the action names.
/// </summary>
public sealed class ConnectorStep(Connector connector, IHttpClientFactory clients, IntegrationSecrets secrets, IConfiguration configuration, TimeProvider? time = null)
    : IStepType
{
    /// <summary>The named HTTP client every connector's calls go through.</summary>
    public const string HttpClientName = "connectors";

    /// <summary>Responses larger than this fail the step rather than fill the run log.</summary>
    public const int MaxResponseBytes = 4 * 1024 * 1024;

    private readonly Provider _provider = new(connector.Title, connector.Auth.Credential is { } c ? connector.CredentialKey(c) : connector.BaseUrlKey, secrets, time);

    public string Name => connector.Name;

    public string Description => connector.Description.Length > 0 ? connector.Description : $"{connector.Title} (connector {Path.GetFileName(connector.File)})";

    public IReadOnlyList<StepAction> Actions { get; } = connector.Actions.Select(a => a.ToStepAction()).ToList();

    public Connector Connector => connector;

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var action = connector.Actions.FirstOrDefault(a => a.Name == call.Action)
            ?? throw new StepFailedException($"{connector.Name} has no action '{call.Action}' (it has: {string.Join(", ", connector.Actions.Select(a => a.Name))})");
        using var request = BuildRequest(action, call.Parameters);
        return await _provider.RunAsync(call.Context, async () =>
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new StepFailedException($"{connector.Title} answered with {response.Content.Headers.ContentLength} bytes, over the limit of {MaxResponseBytes}");
            }
            var json = await _provider.ReadJsonAsync(response, cancellationToken);
            if (action.ErrorPath is { } errorPath && Find(json, errorPath) is { } error && !IsFalseOrEmpty(error))
            {
                throw new StepFailedException($"{connector.Title} refused {action.Name}: {_provider.Excerpt(Templating.Template.AsText(error))}");
            }
            if (action.Output is not { } output)
            {
                return json;
            }
            try
            {
                return ResponsePath(output)!.Resolve(new Dictionary<string, JsonNode?> { ["response"] = json })?.DeepClone();
            }
            catch (TemplateException e)
            {
                throw new StepFailedException($"{connector.Title}'s answer to {action.Name} has no '{output}' ({e.Message}); it was: {_provider.Excerpt(json.ToJsonString())}");
            }
        }, cancellationToken);
    }

    /// <summary>A response path (<c>data.issue</c>, <c>errors[0].message</c>) as a reference under <c>response</c>, or null when it is not one.</summary>
    public static TemplateReference? ResponsePath(string path)
    {
        try
        {
            return TemplateReference.Parse("response" + (path.StartsWith('[') ? "" : ".") + path, 0);
        }
        catch (TemplateException)
        {
            return null;
        }
    }

    private HttpRequestMessage BuildRequest(ConnectorAction action, JsonObject parameters)
    {
        // parameters the step left out are null, so a mapping that is exactly one of them is dropped instead of failing
        var scope = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var parameter in action.Parameters)
        {
            scope[parameter.Name] = parameters[parameter.Name];
        }
        var path = RenderPath(action.Path, scope);
        var query = new List<string>();
        foreach (var (name, mapping) in action.Query ?? [])
        {
            if (!IsAbsent(mapping, scope) && Templating.Template.RenderNode(mapping, scope) is { } value)
            {
                query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(Templating.Template.AsText(value))}");
            }
        }
        if (connector.Auth is { Kind: ConnectorAuthKind.Query, Name: { } queryName, Credential: { } queryCredential })
        {
            query.Add($"{Uri.EscapeDataString(queryName)}={Uri.EscapeDataString(secrets.Require(connector.CredentialKey(queryCredential)))}");
        }
        var baseUrl = (configuration[connector.BaseUrlKey] is { Length: > 0 } configured ? configured : connector.BaseUrl).TrimEnd('/');
        var request = new HttpRequestMessage(action.Method, baseUrl + path + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
        if (action.Body is { } body)
        {
            request.Content = new StringContent(RenderBody(body, scope)?.ToJsonString() ?? "null", Encoding.UTF8, "application/json");
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        switch (connector.Auth)
        {
            case { Kind: ConnectorAuthKind.Bearer, Credential: { } bearer }:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secrets.Require(connector.CredentialKey(bearer)));
                break;
            case { Kind: ConnectorAuthKind.Header, Name: { } header, Credential: { } credential }:
                request.Headers.TryAddWithoutValidation(header, secrets.Require(connector.CredentialKey(credential)));
                break;
            case { Kind: ConnectorAuthKind.Basic, Credential: { } password, UsernameCredential: { } user }:
                var pair = $"{secrets.Require(connector.CredentialKey(user))}:{secrets.Require(connector.CredentialKey(password))}";
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                break;
        }
        return request;
    }

    /// <summary>The path with each placeholder's value escaped, so a value cannot add segments or a query.</summary>
    private static string RenderPath(string path, Dictionary<string, JsonNode?> scope)
    {
        var template = Templating.Template.Parse(path);
        var rendered = new StringBuilder(path.Length);
        var at = 0;
        foreach (var reference in template.References)
        {
            rendered.Append(path, at, reference.Position - at);
            var value = reference.Resolve(scope) ?? throw new StepFailedException($"the parameter '{reference.Name}' is needed in the request path {path}; set it");
            rendered.Append(Uri.EscapeDataString(Templating.Template.AsText(value)));
            at = path.IndexOf("}}", reference.Position, StringComparison.Ordinal) + 2;
        }
        return rendered.Append(path, at, path.Length - at).ToString();
    }

    /// <summary>Renders the body mapping; an object field that is exactly a parameter the step left out is not sent.</summary>
    private static JsonNode? RenderBody(JsonNode node, Dictionary<string, JsonNode?> scope) => node switch
    {
        JsonObject obj => new JsonObject(obj.Where(p => !IsAbsent(p.Value, scope))
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : RenderBody(p.Value, scope)))),
        JsonArray array => new JsonArray(array.Select(item => item is null ? null : RenderBody(item, scope)).ToArray()),
        _ => Templating.Template.RenderNode(node, scope),
    };

    private static bool IsAbsent(JsonNode? mapping, Dictionary<string, JsonNode?> scope) =>
        mapping is JsonValue value && value.GetValueKind() == JsonValueKind.String
        && Templating.Template.Parse(value.GetValue<string>()) is { IsSingleReference: true } template
        && scope.TryGetValue(template.References[0].Name, out var given) && given is null;

    private static JsonNode? Find(JsonNode json, string path)
    {
        try
        {
            return ResponsePath(path)?.Resolve(new Dictionary<string, JsonNode?> { ["response"] = json });
        }
        catch (TemplateException)
        {
            return null;
        }
    }

    private static bool IsFalseOrEmpty(JsonNode value) =>
        value is JsonValue v && (v.GetValueKind() == JsonValueKind.False || (v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0))
        || value is JsonArray { Count: 0 };
}
