using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Templating;
using Microsoft.Extensions.AI;

namespace AiOrchestra.Engine.Steps.OpenAI;

/// <summary>
/// <c>openai</c>: ask an LLM, streamed token by token. The model is one of the <see cref="ChatProviders"/> (OpenAI or any
/// OpenAI-compatible server, Anthropic, a local OpenAI-compatible server), chosen per step by <c>provider</c>.
/// </summary>
public sealed class OpenAIStep(ChatProviders providers, IPromptLibrary? prompts = null) : IStepType
{
    public const string HttpClientName = ChatProviders.OpenAIClientName;

    private const string ProviderHelp = "openai (or a compatible server), anthropic or local; defaults to the AI:DefaultProvider setting.";
    private const string ModelHelp = "Model name; defaults to the provider's Model setting (OpenAI:Model, Anthropic:Model, Local:Model).";
    private const string OutputSchemaHelp =
        "A JSON Schema the answer must follow; the output is then the parsed JSON (read fields as {{step_output.field}}), and an answer that does not match fails the step.";

    public string Name => "openai";

    public bool UsesLanguageModel => true;

    public string Description => "Ask an LLM (OpenAI or any OpenAI-compatible server); the answer streams in as it is written.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("generate_completion", "Answer one prompt.",
        [
            new("prompt", ParameterType.String, false, "The prompt text (or give template_id and variables)."),
            new("template_id", ParameterType.String, false, "A stored prompt template to render instead of 'prompt'."),
            new("variables", ParameterType.Object, false, "Values for the prompt template's variables."),
            new("model", ParameterType.String, false, ModelHelp),
            new("provider", ParameterType.String, false, ProviderHelp),
            new("system", ParameterType.String, false, "System message: how the model should behave."),
            new("temperature", ParameterType.Number, false, "Sampling temperature, 0 to 2."),
            new("max_tokens", ParameterType.Integer, false, "Upper limit of tokens in the answer."),
            new("output_schema", ParameterType.JsonSchema, false, OutputSchemaHelp),
            new("output_schema_template", ParameterType.String, false, "A stored prompt template whose text is the JSON Schema, instead of 'output_schema'."),
        ]),
        new("chat_completion", "Continue a conversation.",
        [
            new("messages", ParameterType.Array, false, "The conversation: [{\"role\": \"system|user|assistant\", \"content\": \"...\"}] (or give 'prompt')."),
            new("prompt", ParameterType.String, false, "A single user message, when there is no 'messages'."),
            new("template_id", ParameterType.String, false, "A stored prompt template to render as the user message."),
            new("variables", ParameterType.Object, false, "Values for the prompt template's variables."),
            new("model", ParameterType.String, false, ModelHelp),
            new("provider", ParameterType.String, false, ProviderHelp),
            new("system", ParameterType.String, false, "System message put before the conversation."),
            new("temperature", ParameterType.Number, false, "Sampling temperature, 0 to 2."),
            new("max_tokens", ParameterType.Integer, false, "Upper limit of tokens in the answer."),
            new("output_schema", ParameterType.JsonSchema, false, OutputSchemaHelp),
            new("output_schema_template", ParameterType.String, false, "A stored prompt template whose text is the JSON Schema, instead of 'output_schema'."),
        ]),
        new("summarize", "Summarise a text.",
        [
            new("text", ParameterType.String, true, "The text to summarise."),
            new("instructions", ParameterType.String, false, "How to summarise (length, focus, format)."),
            new("model", ParameterType.String, false, ModelHelp),
            new("provider", ParameterType.String, false, ProviderHelp),
            new("max_tokens", ParameterType.Integer, false, "Upper limit of tokens in the summary."),
        ]),
    ];

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var parameters = call.Parameters;
        // a stored prompt (template_id) may bring its own system prompt, model and temperature; the step's win
        var template = call.Action == "summarize" ? null : await TemplateOfAsync(call, cancellationToken);
        var messages = call.Action switch
        {
            "generate_completion" => CompletionMessages(call, template),
            "chat_completion" => ChatMessages(call, template),
            "summarize" => SummaryMessages(parameters),
            _ => throw new StepFailedException($"openai has no action '{call.Action}'"),
        };
        var model = providers.Resolve(StepParameters.Text(parameters, "provider"), StepParameters.Text(parameters, "model") ?? template?.Model);
        var options = new ChatOptions
        {
            ModelId = model.ModelId,
            Temperature = (StepParameters.Number(parameters, "temperature") ?? template?.Temperature) is { } temperature ? (float)temperature : null,
            MaxOutputTokens = StepParameters.Integer(parameters, "max_tokens", min: 1),
        };
        var schema = await OutputSchemaAsync(call, cancellationToken);
        if (schema is not null)
        {
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema.Document), "output");
        }

        var response = await model.AnswerAsync(messages, options, call.Context, cancellationToken);
        return schema is null ? JsonValue.Create(response.Text) : schema.Read(response.Text);
    }

    /// <summary>The schema the answer must follow: 'output_schema' as written, or the text of the stored template 'output_schema_template'.</summary>
    private async Task<OutputSchema?> OutputSchemaAsync(StepCall call, CancellationToken cancellationToken)
    {
        if (StepParameters.Object(call.Parameters, "output_schema") is { } inline)
        {
            return OutputSchema.From(inline, "parameter 'output_schema'");
        }
        if (StepParameters.Text(call.Parameters, "output_schema_template") is not { Length: > 0 } templateId)
        {
            return null;
        }
        var template = await FindTemplateAsync(call, templateId, "output_schema_template", cancellationToken);
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(template.Template);
        }
        catch (JsonException e)
        {
            throw new StepFailedException($"parameter 'output_schema_template': prompt template '{templateId}' is not JSON ({e.Message}); its text must be a JSON Schema");
        }
        return OutputSchema.From(document, $"prompt template '{templateId}' (output_schema_template)");
    }

    private async Task<PromptTemplate> FindTemplateAsync(StepCall call, string templateId, string parameter, CancellationToken cancellationToken)
    {
        if (prompts is null)
        {
            throw new StepFailedException($"parameter '{parameter}': stored prompt templates are not available in this host");
        }
        var template = await prompts.FindAsync(call.Context.OwnerId, templateId, cancellationToken)
            ?? throw new StepFailedException($"parameter '{parameter}': there is no prompt template '{templateId}'");
        call.Context.OpenLedger().PromptRendered(template.TemplateId, template.Version);
        return template;
    }

    private static List<ChatMessage> CompletionMessages(StepCall call, PromptTemplate? template)
    {
        var messages = new List<ChatMessage>();
        if (SystemOf(call, template) is { Length: > 0 } system)
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }
        var prompt = PromptOf(call, template)
            ?? throw new StepFailedException("parameter 'prompt' is required (or give 'template_id' and 'variables')");
        messages.Add(new ChatMessage(ChatRole.User, prompt));
        return messages;
    }

    private static List<ChatMessage> ChatMessages(StepCall call, PromptTemplate? template)
    {
        var messages = new List<ChatMessage>();
        if (SystemOf(call, template) is { Length: > 0 } system)
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }
        if (StepParameters.Array(call.Parameters, "messages") is { Count: > 0 } conversation)
        {
            for (var i = 0; i < conversation.Count; i++)
            {
                messages.Add(MessageAt(conversation, i));
            }
        }
        else
        {
            var prompt = PromptOf(call, template)
                ?? throw new StepFailedException("parameter 'messages' is required (or give 'prompt', or 'template_id' and 'variables')");
            messages.Add(new ChatMessage(ChatRole.User, prompt));
        }
        return messages;
    }

    private static ChatMessage MessageAt(JsonArray conversation, int i)
    {
        if (conversation[i] is not JsonObject message
            || StepParameters.Text(message, "content") is not { } content)
        {
            throw new StepFailedException($"parameter 'messages[{i}]' must be an object with 'role' and 'content'");
        }
        return (StepParameters.Text(message, "role") ?? "user") switch
        {
            "system" => new ChatMessage(ChatRole.System, content),
            "user" => new ChatMessage(ChatRole.User, content),
            "assistant" => new ChatMessage(ChatRole.Assistant, content),
            var role => throw new StepFailedException($"parameter 'messages[{i}].role' must be system, user or assistant, not '{role}'"),
        };
    }

    private static List<ChatMessage> SummaryMessages(JsonObject parameters)
    {
        var text = StepParameters.RequiredText(parameters, "text");
        var instructions = StepParameters.Text(parameters, "instructions") is { Length: > 0 } given
            ? given
            : "Summarise the following text clearly and concisely, keeping every important fact.";
        return
        [
            new ChatMessage(ChatRole.System, "You write faithful summaries. Use only facts from the text you are given."),
            new ChatMessage(ChatRole.User, $"{instructions}\n\n{text}"),
        ];
    }

    /// <summary>The stored prompt 'template_id' names, or null when the step gives its prompt itself.</summary>
    private async Task<PromptTemplate?> TemplateOfAsync(StepCall call, CancellationToken cancellationToken) =>
        StepParameters.Text(call.Parameters, "template_id") is { Length: > 0 } templateId
            ? await FindTemplateAsync(call, templateId, "template_id", cancellationToken)
            : null;

    /// <summary>The step's 'system', else the stored prompt's system prompt rendered with the step's 'variables'.</summary>
    private static string? SystemOf(StepCall call, PromptTemplate? template)
    {
        if (StepParameters.Text(call.Parameters, "system") is { Length: > 0 } system)
        {
            return system;
        }
        if (template?.SystemPrompt is null)
        {
            return null;
        }
        var variables = (StepParameters.Object(call.Parameters, "variables") ?? []).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        try
        {
            return template.RenderSystem(variables, new RenderBudget(call.Context.MaxRenderedBytes));
        }
        catch (TemplateException e)
        {
            throw new StepFailedException($"prompt template '{template.TemplateId}': {e.Message}");
        }
    }

    /// <summary>
    /// The prompt text: the 'prompt' parameter, or the stored template (loaded once per call, with the system prompt, so
    /// a save in between cannot mix two versions) rendered with 'variables'.
    /// </summary>
    private static string? PromptOf(StepCall call, PromptTemplate? template)
    {
        var parameters = call.Parameters;
        if (template is null)
        {
            return StepParameters.Text(parameters, "prompt") is { Length: > 0 } prompt ? prompt : null;
        }
        var variables = StepParameters.Object(parameters, "variables") ?? [];
        var scope = variables.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        try
        {
            return template.Render(scope, new RenderBudget(call.Context.MaxRenderedBytes));
        }
        catch (TemplateException e)
        {
            throw new StepFailedException($"prompt template '{template.TemplateId}': {e.Message}");
        }
    }
}
