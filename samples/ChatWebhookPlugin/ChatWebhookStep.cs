using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Plugins;

[assembly: PluginContract(PluginContract.Version)]

namespace ChatWebhookPlugin;

/// <summary>
/// <c>chat_webhook</c> <c>post</c> {url, text, username}: posts a message to a chat's incoming webhook (Slack, Mattermost,
/// Rocket.Chat and the like take <c>{"text": …}</c>); the output is the status and the answer's text.
/// </summary>
public sealed class ChatWebhookStep : IPluginStep
{
    public string Name => "chat_webhook";

    public string Description => "Post a message to a chat's incoming webhook (sample plugin).";

    public IReadOnlyList<PluginAction> Actions { get; } =
    [
        new("post", "Post a message; the output is {status, body}.",
        [
            new("url", "string", true, "The incoming webhook's address"),
            new("text", "string", true, "The message"),
            new("username", "string", false, "Shown as the sender, where the chat allows it"),
        ]),
    ];

    public async Task<JsonNode?> ExecuteAsync(PluginCall call, CancellationToken cancellationToken)
    {
        var url = call.Parameters["url"]?.GetValue<string>() ?? throw new PluginStepException("url is required");
        var message = new JsonObject { ["text"] = call.Parameters["text"]?.DeepClone() };
        if (call.Parameters["username"] is { } username)
        {
            message["username"] = username.DeepClone();
        }
        using var response = await call.Http.PostAsJsonAsync(url, message, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            throw new PluginStepException($"the webhook answered {status}: {(body.Length > 200 ? body[..200] : body)}", transient: status is 429 or >= 500);
        }
        return new JsonObject { ["status"] = (int)response.StatusCode, ["body"] = body };
    }
}
