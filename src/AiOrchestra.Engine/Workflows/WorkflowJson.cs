using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>Reads and writes the seed-compatible JSON workflow format.</summary>
public static partial class WorkflowJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = WorkflowLimits.MaxDepth,
        // Two "step_id"s in one step would silently keep the last one; make the author choose.
        AllowDuplicateProperties = false,
    };

    private static readonly JsonWriterOptions IndentedWriter = new()
    {
        Indented = true,
        NewLine = "\n",
        // Workflow files are read by people, not embedded in HTML: keep quotes, '<', '&' and accents as typed.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonWriterOptions CompactWriter = IndentedWriter with { Indented = false };

    /// <summary>
    /// Reads a workflow file, returning every shape error found (unknown fields, wrong types, missing fields).
    /// When the document is a JSON object within the limits, a best-effort workflow comes back even with errors
    /// (unknown fields skipped, defaults for unreadable optional fields, empty text for missing ones), so
    /// <see cref="WorkflowValidator.Validate(WorkflowParseResult)"/> can report the rest too; malformed JSON or a
    /// document over the limits gives no workflow. Short spellings (id, type, params) read as the long ones.
    /// </summary>
    public static WorkflowParseResult Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > WorkflowLimits.MaxDocumentBytes)
        {
            return Failed($"the document is {JsonValues.Size(bytes)}, over the limit of {JsonValues.Size(WorkflowLimits.MaxDocumentBytes)}; move long texts into prompt templates or run inputs");
        }
        if (string.IsNullOrWhiteSpace(json))
        {
            return Failed("the document is empty; a workflow is a JSON object such as {\"workflow_id\": \"my_workflow\", \"steps\": [...]}");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            var duplicates = DuplicateProperties(json);
            return duplicates.Count > 0 ? new WorkflowParseResult(null, duplicates) : Failed(DescribeSyntaxError(e));
        }
        return new WorkflowReader().Read(root);
    }

    /// <summary>
    /// Reads a <c>triggers</c> array on its own (the editor's triggers field), with errors at <c>triggers[i]...</c>
    /// paths as in a whole file. Empty text is no triggers.
    /// </summary>
    public static (IReadOnlyList<WorkflowTrigger> Triggers, IReadOnlyList<ValidationError> Errors) ParseTriggers(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (string.IsNullOrWhiteSpace(json))
        {
            return ([], []);
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            return ([], [new ValidationError("triggers", DescribeSyntaxError(e) + "; write a list such as [{\"trigger_id\": \"push\", \"type\": \"webhook\"}]")]);
        }
        var errors = new List<ValidationError>();
        var triggers = new TriggerReader(errors).Read((node, "triggers"));
        return (triggers, errors);
    }

    /// <summary>The triggers as their JSON array (the editor's triggers field); empty text when there are none.</summary>
    public static string SerializeTriggers(IReadOnlyList<WorkflowTrigger> triggers)
    {
        if (triggers.Count == 0)
        {
            return "";
        }
        var document = JsonNode.Parse(Serialize(new Workflow { WorkflowId = "", Triggers = triggers }))!;
        return document["triggers"]!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// Writes the workflow with the long spellings (workflow_id, step_id, step_type, parameters).
    /// Optional fields are written when they differ from their default or were spelled out in the file read,
    /// so a file written by this method reads and writes back to the same text.
    /// </summary>
    public static string Serialize(Workflow workflow, bool indented = true, bool original = false)
    {
        if (original)
        {
            var document = OriginalNames.ToOriginal(JsonNode.Parse(Serialize(workflow, indented: false))!.AsObject());
            return document.ToJsonString(new JsonSerializerOptions { WriteIndented = indented, Encoder = IndentedWriter.Encoder });
        }
        ArgumentNullException.ThrowIfNull(workflow);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, indented ? IndentedWriter : CompactWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("workflow_id", workflow.WorkflowId);
            if (workflow.NameWritten || workflow.Name.Length > 0)
            {
                writer.WriteString("name", workflow.Name);
            }
            if (workflow.Description is not null)
            {
                writer.WriteString("description", workflow.Description);
            }
            writer.WriteStartArray("steps");
            foreach (var step in workflow.Steps)
            {
                WriteStep(writer, step);
            }
            writer.WriteEndArray();
            if (workflow.VariablesWritten || workflow.Variables.Count > 0)
            {
                writer.WriteStartObject("variables");
                foreach (var (name, value) in workflow.Variables)
                {
                    writer.WritePropertyName(name);
                    WriteValue(writer, value);
                }
                writer.WriteEndObject();
            }
            WriteOnFailure(writer, workflow.OnFailure);
            if (workflow.Triggers.Count > 0)
            {
                writer.WriteStartArray("triggers");
                foreach (var trigger in workflow.Triggers)
                {
                    WriteTrigger(writer, trigger);
                }
                writer.WriteEndArray();
            }
            if (workflow.Mcp is { } mcp)
            {
                writer.WriteStartObject("mcp");
                writer.WriteBoolean("expose", mcp.Expose);
                if (mcp.ToolName is not null)
                {
                    writer.WriteString("tool_name", mcp.ToolName);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteStep(Utf8JsonWriter writer, WorkflowStep step)
    {
        writer.WriteStartObject();
        writer.WriteString("step_id", step.StepId);
        writer.WriteString("step_type", step.StepType);
        writer.WriteString("action", step.Action);
        if (step.ParametersWritten || step.Parameters.Count > 0)
        {
            writer.WritePropertyName("parameters");
            step.Parameters.WriteTo(writer);
        }
        if (step.OnErrorWritten || step.OnError != OnError.Abort)
        {
            writer.WriteString("on_error", step.OnError == OnError.Continue ? "continue" : "abort");
        }
        if (step.Retry is { } retry)
        {
            var defaults = new RetrySettings();
            writer.WriteStartObject("retry");
            if (retry.MaxAttemptsWritten || retry.MaxAttempts != defaults.MaxAttempts)
            {
                writer.WriteNumber("max_attempts", retry.MaxAttempts);
            }
            if (retry.InitialDelayWritten || retry.InitialDelayMs != defaults.InitialDelayMs)
            {
                writer.WriteNumber("initial_delay_ms", retry.InitialDelayMs);
            }
            if (retry.MaxDelayWritten || retry.MaxDelayMs != defaults.MaxDelayMs)
            {
                writer.WriteNumber("max_delay_ms", retry.MaxDelayMs);
            }
            writer.WriteEndObject();
        }
        if (step.TimeoutSeconds is { } timeout)
        {
            writer.WriteNumber("timeout_seconds", timeout);
        }
        WriteControlFlow(writer, step);
        writer.WriteEndObject();
    }

    /// <summary>A trigger's settings: those of its kind, each when spelled out in the file read or not at its default. Never a secret.</summary>
    private static void WriteTrigger(Utf8JsonWriter writer, WorkflowTrigger trigger)
    {
        var defaults = new WorkflowTrigger { TriggerId = "", Type = trigger.Type };
        bool Write(string name, bool differs) => trigger.Written.Contains(name) || differs;
        writer.WriteStartObject();
        writer.WriteString("trigger_id", trigger.TriggerId);
        writer.WriteString("type", TriggerNames.Text(trigger.Type));
        if (Write("enabled", !trigger.Enabled))
        {
            writer.WriteBoolean("enabled", trigger.Enabled);
        }
        switch (trigger.Type)
        {
            case TriggerType.Webhook:
                if (Write("respond", trigger.Respond != defaults.Respond))
                {
                    writer.WriteString("respond", TriggerNames.Text(trigger.Respond));
                }
                if (trigger.ResponseStep is { } responseStep)
                {
                    writer.WriteString("response_step", responseStep);
                }
                if (Write("signed", trigger.Signed))
                {
                    writer.WriteBoolean("signed", trigger.Signed);
                }
                if (trigger.MaxPerMinute is { } maxPerMinute)
                {
                    writer.WriteNumber("max_per_minute", maxPerMinute);
                }
                break;
            case TriggerType.Schedule:
                if (trigger.Cron is { } cron)
                {
                    writer.WriteString("cron", cron);
                }
                if (trigger.TimeZone is { } timeZone)
                {
                    writer.WriteString("time_zone", timeZone);
                }
                if (trigger.EverySeconds is { } every)
                {
                    writer.WriteNumber("every_seconds", every);
                }
                if (Write("missed", trigger.Missed != defaults.Missed))
                {
                    writer.WriteString("missed", TriggerNames.Text(trigger.Missed));
                }
                break;
            case TriggerType.Poll:
                if (trigger.EverySeconds is { } interval)
                {
                    writer.WriteNumber("every_seconds", interval);
                }
                if (trigger.StepType is { } stepType)
                {
                    writer.WriteString("step_type", stepType);
                }
                if (trigger.Action is { } action)
                {
                    writer.WriteString("action", action);
                }
                if (Write("parameters", trigger.Parameters.Count > 0))
                {
                    writer.WritePropertyName("parameters");
                    trigger.Parameters.WriteTo(writer);
                }
                if (Write("item_id", trigger.ItemId != defaults.ItemId))
                {
                    writer.WriteString("item_id", trigger.ItemId);
                }
                if (Write("mode", trigger.Mode != defaults.Mode))
                {
                    writer.WriteString("mode", TriggerNames.Text(trigger.Mode));
                }
                if (Write("max_items", trigger.MaxItems != defaults.MaxItems))
                {
                    writer.WriteNumber("max_items", trigger.MaxItems);
                }
                break;
        }
        if (Write("variables", trigger.Variables.Count > 0))
        {
            writer.WriteStartObject("variables");
            foreach (var (name, value) in trigger.Variables)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>
    /// The reader refuses a property given twice but does not say where; a second pass, which allows them,
    /// finds each one with its path. Only called for a document that already failed.
    /// </summary>
    private static List<ValidationError> DuplicateProperties(string json)
    {
        var errors = new List<ValidationError>();
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = WorkflowLimits.MaxDepth });
            FindDuplicates(document.RootElement, "", errors);
        }
        catch (JsonException)
        {
            // Malformed for another reason too; the first error message says which.
            errors.Clear();
        }
        return errors;
    }

    private static void FindDuplicates(JsonElement element, string path, List<ValidationError> errors)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var propertyPath = JsonValues.Child(path, property.Name);
                if (!seen.Add(property.Name))
                {
                    errors.Add(new ValidationError(propertyPath, $"'{property.Name}' is given more than once in the same object; keep one"));
                }
                FindDuplicates(property.Value, propertyPath, errors);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                FindDuplicates(item, JsonValues.Item(path, index++), errors);
            }
        }
    }

    private static WorkflowParseResult Failed(string message) => new(null, [new ValidationError("", message)]);

    private static string DescribeSyntaxError(JsonException e)
    {
        // JsonException counts lines and bytes from 0; editors count from 1.
        var where = e.LineNumber is { } line
            ? $"line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"
            : "an unknown position";
        var reason = e.Message;
        var cut = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = reason.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }
        if (cut >= 0)
        {
            reason = reason[..cut].TrimEnd(' ', '|');
        }
        if (reason.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            return $"the document nests objects and arrays deeper than {WorkflowLimits.MaxDepth} levels at {where}; flatten the nested values";
        }
        return $"the document is not valid JSON at {where}: {reason}";
    }
}

/// <summary>
/// The workflow read (best effort when there are errors; null when nothing could be read) and the reader's errors.
/// Only a result without errors may be saved or run.
/// </summary>
public sealed record WorkflowParseResult(Workflow? Workflow, IReadOnlyList<ValidationError> Errors)
{
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Workflow))]
    public bool Succeeded => Workflow is not null && Errors.Count == 0;

    /// <summary>The document named its id <c>id</c>, as the original AI-Orchestra's files do, not <c>workflow_id</c>.</summary>
    public bool OriginalShape { get; init; }
}
