using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Steps.Connectors;

/// <summary>
/// Reads a connector file, checking every field: an error names the file and the field's path, says what is wrong
/// and what would be right, so a connector that does not load says why and the rest of the app goes on.
/// </summary>
public static class ConnectorFile
{
    /// <summary>Connector files larger than this are refused: a description of an API, not data.</summary>
    public const int MaxBytes = 256 * 1024;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public static (Connector? Connector, IReadOnlyList<string> Errors) Read(string file, string json)
    {
        var errors = new List<string>();
        void Error(string path, string message) => errors.Add($"{Path.GetFileName(file)}: {path}: {message}");

        if (json.Length > MaxBytes)
        {
            Error("(file)", $"is {JsonValues.Size(json.Length)}, over the limit of {JsonValues.Size(MaxBytes)}");
            return (null, errors);
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new JsonException("the file must hold one JSON object");
        }
        catch (JsonException e)
        {
            Error("(file)", $"is not valid JSON: {e.Message}");
            return (null, errors);
        }

        var name = Text(root, "connector", "connector", Error, required: true) ?? "";
        if (name.Length > 0 && !Ids.Name().IsMatch(name))
        {
            Error("connector", $"{JsonValues.Quote(name)} is not a valid name: use letters, digits and '_' (for example \"slack\"); it becomes the step_type");
        }
        var title = Text(root, "title", "title", Error) ?? name;
        var description = Text(root, "description", "description", Error) ?? "";
        var baseUrl = Text(root, "base_url", "base_url", Error, required: true) ?? "";
        if (baseUrl.Length > 0 && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            Error("base_url", $"{JsonValues.Quote(baseUrl)} is not an absolute http(s) address (for example \"https://slack.com/api\")");
        }

        var credentials = new List<ConnectorCredential>();
        if (root["credentials"] is JsonArray credentialArray)
        {
            for (var index = 0; index < credentialArray.Count; index++)
            {
                var path = $"credentials[{index}]";
                if (credentialArray[index] is not JsonObject credential)
                {
                    Error(path, "must be an object such as {\"name\": \"token\", \"label\": \"Bot token\"}");
                    continue;
                }
                var credentialName = Text(credential, "name", path + ".name", Error, required: true) ?? "";
                if (credentialName.Length > 0 && !Ids.Name().IsMatch(credentialName))
                {
                    Error(path + ".name", $"{JsonValues.Quote(credentialName)} is not a valid name: use letters, digits and '_'");
                }
                credentials.Add(new ConnectorCredential(credentialName, Text(credential, "label", path + ".label", Error) ?? credentialName,
                    credential["secret"] is not JsonValue secret || secret.GetValueKind() != JsonValueKind.False));
            }
        }
        else if (root["credentials"] is not null)
        {
            Error("credentials", "must be a list of {\"name\", \"label\", \"secret\"} objects");
        }

        var auth = ReadAuth(root["auth"], credentials, Error);
        var actions = new List<ConnectorAction>();
        if (root["actions"] is not JsonArray actionArray || actionArray.Count == 0)
        {
            Error("actions", "must be a non-empty list of actions, each with name, method, path and parameters");
        }
        else
        {
            for (var index = 0; index < actionArray.Count; index++)
            {
                if (ReadAction(actionArray[index], $"actions[{index}]", Error) is { } action)
                {
                    if (actions.Any(a => a.Name == action.Name))
                    {
                        Error($"actions[{index}].name", $"{JsonValues.Quote(action.Name)} is already the name of an earlier action");
                    }
                    actions.Add(action);
                }
            }
        }
        return errors.Count > 0
            ? (null, errors)
            : (new Connector(name, title, description, baseUrl.TrimEnd('/'), auth, credentials, actions, file), errors);
    }

    private static ConnectorAuth ReadAuth(JsonNode? node, List<ConnectorCredential> credentials, Action<string, string> error)
    {
        if (node is null)
        {
            return new ConnectorAuth(ConnectorAuthKind.None, null, null, null);
        }
        if (node is not JsonObject auth)
        {
            error("auth", "must be an object such as {\"kind\": \"bearer\", \"credential\": \"token\"}");
            return new ConnectorAuth(ConnectorAuthKind.None, null, null, null);
        }
        var kindText = Text(auth, "kind", "auth.kind", error, required: true) ?? "";
        ConnectorAuthKind? kind = kindText switch
        {
            "none" => ConnectorAuthKind.None,
            "bearer" => ConnectorAuthKind.Bearer,
            "header" => ConnectorAuthKind.Header,
            "basic" => ConnectorAuthKind.Basic,
            "query" => ConnectorAuthKind.Query,
            _ => null,
        };
        if (kind is null)
        {
            if (kindText.Length > 0)
            {
                error("auth.kind", $"{JsonValues.Quote(kindText)} is not a kind of authentication: use \"bearer\", \"header\", \"basic\", \"query\" or \"none\"");
            }
            return new ConnectorAuth(ConnectorAuthKind.None, null, null, null);
        }
        string? Credential(string field)
        {
            var value = Text(auth, field, "auth." + field, error, required: true);
            if (value is not null && credentials.All(c => c.Name != value))
            {
                error("auth." + field, $"{JsonValues.Quote(value)} is not one of the connector's credentials ({(credentials.Count == 0 ? "it declares none" : string.Join(", ", credentials.Select(c => c.Name)))})");
            }
            return value;
        }
        return kind switch
        {
            ConnectorAuthKind.None => new ConnectorAuth(ConnectorAuthKind.None, null, null, null),
            ConnectorAuthKind.Bearer => new ConnectorAuth(ConnectorAuthKind.Bearer, Credential("credential"), null, null),
            ConnectorAuthKind.Basic => new ConnectorAuth(ConnectorAuthKind.Basic, Credential("credential"), null, Credential("username_credential")),
            _ => new ConnectorAuth(kind.Value, Credential("credential"), Text(auth, "name", "auth.name", error, required: true), null),
        };
    }

    private static ConnectorAction? ReadAction(JsonNode? node, string path, Action<string, string> error)
    {
        if (node is not JsonObject action)
        {
            error(path, "must be an object with name, method, path and parameters");
            return null;
        }
        var failed = false;
        void Error(string at, string message)
        {
            failed = true;
            error(at, message);
        }
        var name = Text(action, "name", path + ".name", Error, required: true) ?? "";
        if (name.Length > 0 && !Ids.Name().IsMatch(name))
        {
            Error(path + ".name", $"{JsonValues.Quote(name)} is not a valid action name: use letters, digits and '_' (for example \"post_message\")");
        }
        var method = (Text(action, "method", path + ".method", Error) ?? "GET").ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            Error(path + ".method", $"{JsonValues.Quote(method)} is not a method a connector may use: {string.Join(", ", Methods)}");
        }
        var requestPath = Text(action, "path", path + ".path", Error, required: true) ?? "";
        if (requestPath.Length > 0 && !requestPath.StartsWith('/'))
        {
            Error(path + ".path", $"{JsonValues.Quote(requestPath)} must start with '/' (it is added to base_url)");
        }

        var parameters = new List<StepParameter>();
        if (action["parameters"] is JsonArray parameterArray)
        {
            for (var index = 0; index < parameterArray.Count; index++)
            {
                if (ReadParameter(parameterArray[index], $"{path}.parameters[{index}]", Error) is { } parameter)
                {
                    parameters.Add(parameter);
                }
            }
        }
        else if (action["parameters"] is not null)
        {
            Error(path + ".parameters", "must be a list of {\"name\", \"type\", \"required\", \"description\"} objects");
        }
        var known = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        // every placeholder in the path, query and body must name one of the action's parameters
        void CheckReferences(JsonNode? mapping, string at)
        {
            try
            {
                foreach (var (where, reference) in Templating.Template.FindReferences(mapping, at))
                {
                    if (!known.Contains(reference.Name))
                    {
                        Error(where, $"'{{{{{reference.Text}}}}}' names no parameter of this action ({(known.Count == 0 ? "it has none" : string.Join(", ", known))})");
                    }
                }
            }
            catch (TemplateException e)
            {
                Error(at, e.Message);
            }
        }
        CheckReferences(JsonValue.Create(requestPath), path + ".path");
        var query = action["query"] as JsonObject;
        if (action["query"] is not null and not JsonObject)
        {
            Error(path + ".query", "must be an object of query names to values such as {\"limit\": \"{{limit}}\"}");
        }
        CheckReferences(query, path + ".query");
        var body = action["body"];
        CheckReferences(body, path + ".body");
        if (body is not null && method is "GET" or "DELETE")
        {
            Error(path + ".body", $"a {method} request sends no body; use query, or another method");
        }
        var output = Text(action, "output", path + ".output", Error);
        var errorPath = Text(action, "error_path", path + ".error_path", Error);
        foreach (var (field, value) in new[] { ("output", output), ("error_path", errorPath) })
        {
            if (value is not null && ConnectorStep.ResponsePath(value) is null)
            {
                Error($"{path}.{field}", $"{JsonValues.Quote(value)} is not a path into the response: write fields and indexes such as \"data.issue\" or \"errors[0].message\"");
            }
        }
        return failed ? null : new ConnectorAction(name, Text(action, "description", path + ".description", Error) ?? "", new HttpMethod(method),
            requestPath, parameters, query?.DeepClone().AsObject(), body?.DeepClone(), output, errorPath);
    }

    private static StepParameter? ReadParameter(JsonNode? node, string path, Action<string, string> error)
    {
        if (node is not JsonObject parameter)
        {
            error(path, "must be an object such as {\"name\": \"channel\", \"type\": \"string\", \"required\": true}");
            return null;
        }
        var name = Text(parameter, "name", path + ".name", error, required: true);
        if (name is null)
        {
            return null;
        }
        if (!Ids.Name().IsMatch(name))
        {
            error(path + ".name", $"{JsonValues.Quote(name)} is not a valid parameter name: use letters, digits and '_'");
        }
        var typeText = Text(parameter, "type", path + ".type", error) ?? "string";
        ParameterType? type = typeText switch
        {
            "string" => ParameterType.String,
            "integer" => ParameterType.Integer,
            "number" => ParameterType.Number,
            "boolean" => ParameterType.Boolean,
            "object" => ParameterType.Object,
            "array" => ParameterType.Array,
            "any" => ParameterType.Any,
            _ => null,
        };
        if (type is null)
        {
            error(path + ".type", $"{JsonValues.Quote(typeText)} is not a parameter type: use string, integer, number, boolean, object, array or any");
            return null;
        }
        var required = parameter["required"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        return new StepParameter(name, type.Value, required, Text(parameter, "description", path + ".description", error) ?? "");
    }

    private static string? Text(JsonObject node, string field, string path, Action<string, string> error, bool required = false)
    {
        var value = node[field];
        if (value is null)
        {
            if (required)
            {
                error(path, "is required");
            }
            return null;
        }
        if (!JsonValues.IsString(value, out var text) || (required && string.IsNullOrWhiteSpace(text)))
        {
            error(path, $"must be a non-empty string, got {JsonValues.Describe(value)}");
            return null;
        }
        return text;
    }
}
