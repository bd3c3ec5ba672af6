using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Exceptions;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Steps.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace AiOrchestra.Engine.Steps.Ai;

/// <summary>
/// The model providers behind the LLM steps, each as a Microsoft.Extensions.AI <see cref="IChatClient"/>: OpenAI (or any
/// compatible server) and local models through the OpenAI SDK, Anthropic through its official SDK. Every one sends through
/// our HttpClient (IHttpClientFactory, the resilience handler: one retry layer), its SDK's own retries switched off.
/// </summary>
public sealed class ChatProviders(
    IHttpClientFactory httpClients,
    IOptions<AIOptions> ai,
    IOptions<OpenAIOptions> openai,
    IOptions<AnthropicOptions> anthropic,
    IOptions<LocalModelOptions> local,
    IntegrationSecrets secrets,
    TimeProvider? time = null)
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";
    public const string Local = "local";

    public const string OpenAIClientName = "openai";
    public const string AnthropicClientName = "anthropic";
    public const string LocalClientName = "local";

    public static readonly IReadOnlyList<string> Names = [OpenAI, Anthropic, Local];

    private readonly Provider _openai = OpenAIIntegration.Declaration.Provider(secrets, time);
    private readonly Provider _anthropic = AnthropicIntegration.Declaration.Provider(secrets, time);
    private readonly Provider _local = LocalModelIntegration.Declaration.Provider(secrets, time);

    /// <summary>
    /// The chat model of <paramref name="provider"/> (the AI:DefaultProvider setting when null) and <paramref name="model"/>
    /// (the provider's configured default when null). Fails the step before anything is sent when a key is missing.
    /// </summary>
    public ChatModel Resolve(string? provider, string? model)
    {
        var name = string.IsNullOrWhiteSpace(provider) ? ai.Value.DefaultProvider : provider.Trim();
        return name switch
        {
            OpenAI => OpenAIModel(_openai, OpenAIClientName, openai.Value.BaseUrl, OpenAIIntegration.BaseUrl, secrets.Require(OpenAIIntegration.ApiKey),
                Named(model) ?? openai.Value.Model),
            // Local servers mostly need no key, but the SDK insists on one.
            Local => OpenAIModel(_local, LocalClientName, local.Value.BaseUrl, LocalModelIntegration.BaseUrl, secrets.Find(LocalModelIntegration.ApiKey) ?? "none",
                Named(model) ?? local.Value.Model),
            Anthropic => AnthropicModel(Named(model) ?? anthropic.Value.Model),
            _ => throw new StepFailedException(
                $"provider '{name}' is not known{(provider is null ? " (the AI:DefaultProvider setting)" : "")}; use one of {string.Join(", ", Names)}"),
        };
    }

    private static string? Named(string? model) => string.IsNullOrWhiteSpace(model) ? null : model.Trim();

    private ChatModel OpenAIModel(Provider provider, string clientName, string baseUrl, string baseUrlSetting, string apiKey, string model)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var endpoint))
        {
            throw new StepFailedException($"{baseUrlSetting} '{baseUrl}' is not an absolute URL (e.g. https://api.openai.com/v1)");
        }
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new HttpClientPipelineTransport(httpClients.CreateClient(clientName)),
            // The HttpClient's resilience handler retries; a second layer here would multiply the attempts.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // Time limits are the pipeline's (attempt and total) and the step's own timeout_seconds.
            NetworkTimeout = TimeSpan.FromHours(1),
        };
        // some OpenAI-compatible servers ignore "stream": the catcher keeps such a plain reply for the model to read
        var plainReply = new PlainReplyCatcher();
        options.AddPolicy(plainReply, PipelinePosition.PerCall);
        var client = new global::OpenAI.Chat.ChatClient(model, new ApiKeyCredential(apiKey), options).AsIChatClient();
        return new ChatModel(client, model, provider, OpenAIFailure, plainReply);
    }

    private ChatModel AnthropicModel(string model)
    {
        var baseUrl = anthropic.Value.BaseUrl;
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out _))
        {
            throw new StepFailedException($"{AnthropicIntegration.BaseUrl} '{baseUrl}' is not an absolute URL (e.g. https://api.anthropic.com)");
        }
        var client = new AnthropicClient
        {
            ApiKey = secrets.Require(AnthropicIntegration.ApiKey),
            BaseUrl = baseUrl.TrimEnd('/'),
            HttpClient = httpClients.CreateClient(AnthropicClientName),
            MaxRetries = 0,
            Timeout = TimeSpan.FromHours(1),
        };
        return new ChatModel(client.AsIChatClient(model, anthropic.Value.MaxTokens), model, _anthropic, AnthropicFailure);
    }

    private Exception? OpenAIFailure(Exception e, Provider provider) => e switch
    {
        ClientResultException { Status: > 0 } failure => StatusFailure(provider, failure),
        // Status 0: no response at all (connection refused, DNS, reset).
        ClientResultException failure => new HttpRequestException(failure.InnerException?.Message ?? failure.Message, failure),
        InvalidOperationException { InnerException: JsonException json } => json,
        _ => null,
    };

    private static StepFailedException StatusFailure(Provider provider, ClientResultException e)
    {
        var response = e.GetRawResponse();
        var body = response?.Content?.ToString() ?? "";
        var retryAfter = response is not null && response.Headers.TryGetValue("Retry-After", out var header) ? provider.RetryAfter(header) : null;
        return provider.Failure(e.Status, response?.ReasonPhrase, body, retryAfter);
    }

    private static Exception? AnthropicFailure(Exception e, Provider provider) => e switch
    {
        AnthropicApiException failure => provider.Failure((int)failure.StatusCode, null, failure.ResponseBody ?? "", null),
        AnthropicIOException failure => new HttpRequestException(failure.InnerException?.Message ?? failure.Message, failure),
        AnthropicSseException failure => new JsonException(failure.Message, failure),
        AnthropicInvalidDataException failure => new JsonException(failure.Message, failure),
        _ => null,
    };
}

/// <summary>One provider's chat model: the client, the model's name, and how its SDK's failures read as step failures.</summary>
public sealed class ChatModel(
    IChatClient client, string modelId, Provider provider, Func<Exception, Provider, Exception?> translate, PlainReplyCatcher? plainReply = null)
{
    public IChatClient Client { get; } = client;

    public string ModelId { get; } = modelId;

    public Provider Provider { get; } = provider;

    /// <summary>
    /// Streams one answer: text deltas go to the step's live output, token usage to its log. Returns the whole response
    /// (text and any tool calls). Failures read as the provider's step failures (transient ones retried by the step's retry).
    /// </summary>
    public Task<ChatResponse> AnswerAsync(IList<ChatMessage> messages, ChatOptions options, StepContext context, CancellationToken cancellationToken) =>
        Provider.RunAsync(context, async () =>
        {
            var updates = new List<ChatResponseUpdate>();
            try
            {
                await foreach (var update in Client.GetStreamingResponseAsync(messages, options, cancellationToken).WithCancellation(cancellationToken))
                {
                    updates.Add(update);
                    if (update.Text is { Length: > 0 } text)
                    {
                        context.ReportDelta(text);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && translate(e, Provider) is { } failure)
            {
                throw failure;
            }
            var response = plainReply?.Body is { } body ? PlainCompletion(body, context) : updates.ToChatResponse();
            if (string.IsNullOrEmpty(response.Text) && !response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Any())
            {
                var finished = response.FinishReason is { } reason ? $"with finish reason '{reason.Value}'" : "without a finish reason";
                throw new StepFailedException($"{Provider.Name}'s streamed answer had no content: {updates.Count} chunk(s), ended {finished}");
            }
            if (response.Usage is { } usage)
            {
                // Summed over the turns of an agent's loop.
                context.Usage = Add(context.Usage, usage);
                EngineMetrics.Tokens(ModelId, usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
            }
            Record(context.OpenLedger(), messages, options, response, streamed: plainReply?.Body is null);
            return response;
        }, cancellationToken);

    /// <summary>
    /// The answer of a server that ignored <c>stream</c> and sent one chat completion as JSON; a reply without any
    /// content is a step error that says what came back.
    /// </summary>
    private ChatResponse PlainCompletion(string body, StepContext context)
    {
        JsonNode? reply;
        try
        {
            reply = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            throw new StepFailedException($"{Provider.Name} answered a streamed request with neither an event stream nor JSON: {Provider.Excerpt(body)}");
        }
        var choice = reply?["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        if (choice?["message"]?["content"] is not JsonValue content || content.GetValueKind() != JsonValueKind.String
            || content.GetValue<string>() is not { Length: > 0 } answer)
        {
            throw new StepFailedException($"{Provider.Name} answered without any content (no choices[0].message.content): {Provider.Excerpt(body)}");
        }
        context.ReportDelta(answer);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = reply?["model"] is JsonValue answered && answered.TryGetValue<string>(out var name) ? name : null,
            FinishReason = choice["finish_reason"] is JsonValue finish && finish.TryGetValue<string>(out var reason) ? new ChatFinishReason(reason) : null,
        };
        if (reply?["usage"] is JsonObject usage
            && usage["prompt_tokens"] is JsonValue prompt && prompt.TryGetValue<int>(out var promptTokens)
            && usage["completion_tokens"] is JsonValue completion && completion.TryGetValue<int>(out var completionTokens))
        {
            response.Usage = new UsageDetails { InputTokenCount = promptTokens, OutputTokenCount = completionTokens };
        }
        return response;
    }

    /// <summary>Writes the call into the step's ledger: only the messages earlier calls of the step had not sent.</summary>
    private void Record(StepLedger ledger, IList<ChatMessage> messages, ChatOptions options, ChatResponse response, bool streamed)
    {
        var sent = ledger.Calls.Count == 0 ? 0 : ledger.Calls[^1].FirstMessage + ledger.Calls[^1].Messages.Count;
        var first = sent <= messages.Count ? sent : 0;
        var recorded = new List<LlmMessage>(messages.Count - first);
        for (var i = first; i < messages.Count; i++)
        {
            recorded.Add(new LlmMessage(messages[i].Role.Value, MessageText(messages[i])));
        }
        ledger.Calls.Add(new LlmCall
        {
            Provider = Provider.Name,
            ModelRequested = options.ModelId ?? ModelId,
            ModelAnswered = response.ModelId,
            // a float on the wire: 0.2f reads back as 0.2 rather than 0.20000000298
            Temperature = options.Temperature is { } temperature ? Math.Round((double)temperature, 4) : null,
            MaxTokens = options.MaxOutputTokens,
            FirstMessage = first,
            Messages = recorded,
            FinishReason = response.FinishReason?.Value,
            InputTokens = response.Usage?.InputTokenCount is { } input ? (int)input : null,
            OutputTokens = response.Usage?.OutputTokenCount is { } output ? (int)output : null,
            Streamed = streamed,
        });
    }

    /// <summary>A message's text, with its tool calls and results named (their content is in the agent's conversation).</summary>
    private static string MessageText(ChatMessage message)
    {
        if (message.Contents.All(c => c is TextContent))
        {
            return message.Text;
        }
        var parts = message.Contents.Select(content => content switch
        {
            TextContent text => text.Text,
            FunctionCallContent call => $"[tool call {call.Name} ({call.CallId})]",
            FunctionResultContent result => $"[tool result ({result.CallId})]",
            _ => $"[{content.GetType().Name}]",
        });
        return string.Join("\n", parts);
    }

    private static TokenUsage Add(TokenUsage? sofar, UsageDetails details)
    {
        var input = (int)(details.InputTokenCount ?? 0);
        var output = (int)(details.OutputTokenCount ?? 0);
        return sofar is null ? new TokenUsage(input, output) : new TokenUsage(sofar.PromptTokens + input, sofar.CompletionTokens + output);
    }
}
