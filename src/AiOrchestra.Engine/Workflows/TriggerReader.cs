using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// Reads the <c>triggers</c> array of a workflow file into <see cref="WorkflowTrigger"/>s, reporting shape errors
/// (unknown fields, a setting of another kind of trigger, wrong types) with their paths into the reader's list.
/// </summary>
internal sealed class TriggerReader(List<ValidationError> errors)
{
    public const int MaxTriggers = 20;

    private static readonly string[] Common = ["trigger_id", "type", "enabled", "variables"];
    private static readonly string[] Webhook = ["respond", "response_step", "signed", "max_per_minute"];
    private static readonly string[] Schedule = ["cron", "time_zone", "every_seconds", "missed"];
    private static readonly string[] Poll = ["every_seconds", "step_type", "action", "parameters", "item_id", "mode", "max_items"];

    public List<WorkflowTrigger> Read((JsonNode? Value, string Path)? found)
    {
        var triggers = new List<WorkflowTrigger>();
        if (found is not { } field || field.Value is null)
        {
            return triggers;
        }
        if (field.Value is not JsonArray array)
        {
            Error(field.Path, $"expected a list of triggers such as [{{\"trigger_id\": \"nightly\", \"type\": \"schedule\", \"cron\": \"0 2 * * *\"}}], got {JsonValues.Describe(field.Value)}");
            return triggers;
        }
        if (array.Count > MaxTriggers)
        {
            Error(field.Path, $"the workflow has {array.Count} triggers, over the limit of {MaxTriggers}");
            return triggers;
        }
        for (var index = 0; index < array.Count; index++)
        {
            triggers.Add(ReadTrigger(array[index], JsonValues.Item(field.Path, index)));
        }
        return triggers;
    }

    private WorkflowTrigger ReadTrigger(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            Error(path, $"expected a trigger object such as {{\"trigger_id\": \"push\", \"type\": \"webhook\"}}, got {JsonValues.Describe(node)}");
            return new WorkflowTrigger { TriggerId = "", Type = TriggerType.Webhook };
        }
        var type = ReadType(obj, path);
        var allowed = Common.Concat(type switch
        {
            TriggerType.Webhook => Webhook,
            TriggerType.Schedule => Schedule,
            TriggerType.Poll => Poll,
            _ => Webhook.Concat(Schedule).Concat(Poll).Distinct(),
        }).ToArray();
        var fields = new Dictionary<string, (JsonNode? Value, string Path)>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            var keyPath = JsonValues.Child(path, key);
            if (key == "url")
            {
                // GET /api/workflows/{id} shows each webhook's address; sending the document back must work
                continue;
            }
            if (allowed.Contains(key))
            {
                fields[key] = (value, keyPath);
            }
            else if (key is "secret" or "token")
            {
                Error(keyPath, $"a webhook's {key} is never kept in the workflow file; set \"signed\": true and the secret is generated and shown once in the editor (or rotate it through the API)");
            }
            else if (type is { } known && Webhook.Concat(Schedule).Concat(Poll).Contains(key))
            {
                Error(keyPath, $"'{key}' is not a setting of {TriggerNames.Text(known)} triggers; a {TriggerNames.Text(known)} trigger has: {string.Join(", ", allowed)}");
            }
            else
            {
                Error(keyPath, $"unknown field '{key}'{Spelling.DidYouMean(key, allowed)}; a trigger has the fields: {string.Join(", ", allowed)}");
            }
        }

        var written = new HashSet<string>(fields.Keys, StringComparer.Ordinal);
        var triggerId = String(fields, "trigger_id");
        if (triggerId is null && !fields.ContainsKey("trigger_id"))
        {
            Error(JsonValues.Child(path, "trigger_id"), "required field is missing; give the trigger an id, e.g. \"trigger_id\": \"nightly\"");
        }
        var defaults = new WorkflowTrigger { TriggerId = "", Type = TriggerType.Webhook };
        return new WorkflowTrigger
        {
            TriggerId = triggerId ?? "",
            Type = type ?? TriggerType.Webhook,
            Enabled = Bool(fields, "enabled") ?? true,
            Variables = Variables(fields),
            Respond = Choice(fields, "respond", ("accepted", WebhookResponse.Accepted, "answer 202 with the run id at once"), ("output", WebhookResponse.Output, "wait for the run and answer with a step's output")) ?? defaults.Respond,
            ResponseStep = String(fields, "response_step"),
            Signed = Bool(fields, "signed") ?? false,
            MaxPerMinute = Int(fields, "max_per_minute"),
            Cron = String(fields, "cron"),
            TimeZone = String(fields, "time_zone"),
            EverySeconds = Int(fields, "every_seconds"),
            Missed = Choice(fields, "missed", ("skip", MissedPolicy.Skip, "due times passed while stopped are not run"), ("run_once", MissedPolicy.RunOnce, "one run for all due times passed while stopped")) ?? defaults.Missed,
            StepType = String(fields, "step_type"),
            Action = String(fields, "action"),
            Parameters = Parameters(fields),
            ItemId = String(fields, "item_id") ?? defaults.ItemId,
            Mode = Choice(fields, "mode", ("per_item", PollMode.PerItem, "one run per new item"), ("batch", PollMode.Batch, "one run for the new items of a poll")) ?? defaults.Mode,
            MaxItems = Int(fields, "max_items") ?? defaults.MaxItems,
            Written = written,
        };
    }

    private TriggerType? ReadType(JsonObject obj, string path)
    {
        if (!obj.TryGetPropertyValue("type", out var value))
        {
            Error(JsonValues.Child(path, "type"), "required field is missing; say what starts the workflow: \"webhook\", \"schedule\" or \"poll\"");
            return null;
        }
        JsonValues.IsString(value, out var text);
        switch (text)
        {
            case "webhook":
                return TriggerType.Webhook;
            case "schedule":
                return TriggerType.Schedule;
            case "poll":
                return TriggerType.Poll;
            default:
                Error(JsonValues.Child(path, "type"), $"expected \"webhook\" (POST /hooks/<token>), \"schedule\" (cron or interval) or \"poll\" (ask a source for new items), got {JsonValues.Describe(value)}");
                return null;
        }
    }

    private T? Choice<T>(Dictionary<string, (JsonNode? Value, string Path)> fields, string name, params (string Text, T Value, string Meaning)[] choices)
        where T : struct
    {
        if (!fields.TryGetValue(name, out var found))
        {
            return null;
        }
        JsonValues.IsString(found.Value, out var text);
        foreach (var choice in choices)
        {
            if (choice.Text == text)
            {
                return choice.Value;
            }
        }
        Error(found.Path, $"expected {string.Join(" or ", choices.Select(c => $"\"{c.Text}\" ({c.Meaning})"))}, got {JsonValues.Describe(found.Value)}");
        return null;
    }

    private string? String(Dictionary<string, (JsonNode? Value, string Path)> fields, string name)
    {
        if (!fields.TryGetValue(name, out var found))
        {
            return null;
        }
        if (!JsonValues.IsString(found.Value, out var text))
        {
            Error(found.Path, $"expected a string, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        return text;
    }

    private bool? Bool(Dictionary<string, (JsonNode? Value, string Path)> fields, string name)
    {
        if (!fields.TryGetValue(name, out var found))
        {
            return null;
        }
        if (found.Value is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }
        Error(found.Path, $"expected true or false, got {JsonValues.Describe(found.Value)}");
        return null;
    }

    private int? Int(Dictionary<string, (JsonNode? Value, string Path)> fields, string name)
    {
        if (!fields.TryGetValue(name, out var found))
        {
            return null;
        }
        if (found.Value is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number))
        {
            return number;
        }
        Error(found.Path, $"expected a whole number, got {JsonValues.Describe(found.Value)}");
        return null;
    }

    private JsonObject Parameters(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("parameters", out var found))
        {
            return [];
        }
        if (found.Value is not JsonObject parameters)
        {
            Error(found.Path, $"expected an object of parameters such as {{\"query\": \"is:unread\"}}, got {JsonValues.Describe(found.Value)}");
            return [];
        }
        return (JsonObject)parameters.DeepClone();
    }

    private IReadOnlyDictionary<string, JsonNode?> Variables(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        var variables = new OrderedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (!fields.TryGetValue("variables", out var found))
        {
            return variables;
        }
        if (found.Value is not JsonObject obj)
        {
            Error(found.Path, $"expected an object of run inputs such as {{\"since\": \"yesterday\"}}, got {JsonValues.Describe(found.Value)}");
            return variables;
        }
        foreach (var (name, value) in obj)
        {
            variables[name] = value?.DeepClone();
        }
        return variables;
    }

    private void Error(string path, string message) => errors.Add(new ValidationError(path, message));
}
