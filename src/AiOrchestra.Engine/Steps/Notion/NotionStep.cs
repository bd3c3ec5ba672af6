using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Engine.Steps.Notion;

/// <summary>
/// <c>notion</c>: pages from Markdown, appending content, search and database queries, on Notion's REST API.
/// Notion takes at most 100 blocks per request: a page is created with the first 100 and the rest is appended in batches.
/// </summary>
public sealed class NotionStep(IHttpClientFactory httpClients, IOptions<NotionOptions> options, IntegrationSecrets secrets, TimeProvider? time = null) : IStepType
{
    public const string HttpClientName = "notion";
    public const int MaxBlocksPerRequest = 100;

    private readonly Provider _provider = NotionIntegration.Declaration.Provider(secrets, time);

    public string Name => "notion";

    public string Description => "Write Markdown into Notion pages, search the workspace and query databases.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("create_page", "Create a page from Markdown under a page or in a database.",
        [
            new("parent_page_id", ParameterType.String, false, "The page to create it under (or give database_id)."),
            new("database_id", ParameterType.String, false, "The database to add it to (or give parent_page_id)."),
            new("title", ParameterType.String, true, "Page title."),
            new("content", ParameterType.String, false, "Page content as Markdown."),
        ]),
        new("append_content", "Append Markdown to the end of a page.",
        [
            new("page_id", ParameterType.String, true, "The page to append to."),
            new("content", ParameterType.String, true, "Content as Markdown."),
        ]),
        new("search", "Find pages and databases by title.",
        [
            new("query", ParameterType.String, false, "Text to look for in titles (empty: everything shared with the integration)."),
        ]),
        new("query_database", "List a database's pages, optionally filtered.",
        [
            new("database_id", ParameterType.String, true, "The database to query."),
            new("filter", ParameterType.Object, false, "A Notion filter object, e.g. {\"property\": \"Status\", \"status\": {\"equals\": \"Done\"}}."),
        ]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var parameters = call.Parameters;
        Func<HttpClient, Task<JsonNode?>> action = call.Action switch
        {
            "create_page" => CreatePage(parameters, cancellationToken),
            "append_content" => AppendContent(parameters, cancellationToken),
            "search" => Search(parameters, cancellationToken),
            "query_database" => QueryDatabase(parameters, cancellationToken),
            _ => throw new StepFailedException($"notion has no action '{call.Action}'"),
        };
        var token = secrets.Require(NotionIntegration.Token);
        var baseUrl = options.Value.BaseUrl;
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress))
        {
            throw new StepFailedException($"{NotionIntegration.BaseUrl} '{baseUrl}' is not an absolute URL (e.g. https://api.notion.com)");
        }
        return _provider.RunAsync(call.Context, () =>
        {
            var http = httpClients.CreateClient(HttpClientName);
            http.BaseAddress = baseAddress;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            http.DefaultRequestHeaders.Add("Notion-Version", options.Value.Version);
            return action(http);
        }, cancellationToken);
    }

    private Func<HttpClient, Task<JsonNode?>> CreatePage(JsonObject parameters, CancellationToken cancellationToken)
    {
        var pageId = StepParameters.Text(parameters, "parent_page_id") is { Length: > 0 } page ? page.Trim() : null;
        var databaseId = StepParameters.Text(parameters, "database_id") is { Length: > 0 } database ? database.Trim() : null;
        if ((pageId is null) == (databaseId is null))
        {
            throw new StepFailedException("give either parameter 'parent_page_id' or parameter 'database_id' (exactly one)");
        }
        var title = StepParameters.RequiredText(parameters, "title");
        var blocks = NotionMarkdown.ToBlocks(StepParameters.Text(parameters, "content") ?? "");
        return async http =>
        {
            // A database names its title property itself ("Name", "Task", ...): ask for it rather than guess.
            var titleProperty = databaseId is null ? "title" : await TitlePropertyAsync(http, databaseId, cancellationToken);
            var body = new JsonObject
            {
                ["parent"] = databaseId is null ? new JsonObject { ["page_id"] = pageId } : new JsonObject { ["database_id"] = databaseId },
                ["properties"] = new JsonObject { [titleProperty] = new JsonObject { ["title"] = NotionMarkdown.PlainText(title) } },
                ["children"] = Batch(blocks, 0),
            };
            var created = await SendAsync(http, HttpMethod.Post, "v1/pages", body, cancellationToken);
            var id = (string?)created["id"] ?? throw new StepFailedException("Notion created the page but sent no 'id' in its answer");
            await AppendAsync(http, id, blocks, MaxBlocksPerRequest, cancellationToken);
            return new JsonObject { ["id"] = id, ["url"] = (string?)created["url"], ["blocks"] = blocks.Count };
        };
    }

    private Func<HttpClient, Task<JsonNode?>> AppendContent(JsonObject parameters, CancellationToken cancellationToken)
    {
        var pageId = StepParameters.RequiredText(parameters, "page_id").Trim();
        var blocks = NotionMarkdown.ToBlocks(StepParameters.RequiredText(parameters, "content"));
        return async http =>
        {
            await AppendAsync(http, pageId, blocks, 0, cancellationToken);
            return new JsonObject { ["page_id"] = pageId, ["blocks"] = blocks.Count };
        };
    }

    private Func<HttpClient, Task<JsonNode?>> Search(JsonObject parameters, CancellationToken cancellationToken)
    {
        var query = StepParameters.Text(parameters, "query") ?? "";
        return async http =>
        {
            var found = await SendAsync(http, HttpMethod.Post, "v1/search", new JsonObject { ["query"] = query, ["page_size"] = 100 }, cancellationToken);
            return Results(found);
        };
    }

    private Func<HttpClient, Task<JsonNode?>> QueryDatabase(JsonObject parameters, CancellationToken cancellationToken)
    {
        var databaseId = StepParameters.RequiredText(parameters, "database_id").Trim();
        var filter = StepParameters.Object(parameters, "filter");
        return async http =>
        {
            var body = new JsonObject { ["page_size"] = 100 };
            if (filter is not null)
            {
                body["filter"] = filter.DeepClone();
            }
            var found = await SendAsync(http, HttpMethod.Post, $"v1/databases/{Uri.EscapeDataString(databaseId)}/query", body, cancellationToken);
            return Results(found, withProperties: true);
        };
    }

    /// <summary>Appends <paramref name="blocks"/> from <paramref name="start"/> on, 100 per request, in order.</summary>
    private async Task AppendAsync(HttpClient http, string blockId, List<JsonObject> blocks, int start, CancellationToken cancellationToken)
    {
        for (var offset = start; offset < blocks.Count; offset += MaxBlocksPerRequest)
        {
            await SendAsync(http, HttpMethod.Patch, $"v1/blocks/{Uri.EscapeDataString(blockId)}/children",
                new JsonObject { ["children"] = Batch(blocks, offset) }, cancellationToken);
        }
    }

    private async Task<string> TitlePropertyAsync(HttpClient http, string databaseId, CancellationToken cancellationToken)
    {
        var database = await SendAsync(http, HttpMethod.Get, $"v1/databases/{Uri.EscapeDataString(databaseId)}", null, cancellationToken);
        if (database["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                if ((string?)property?["type"] == "title")
                {
                    return name;
                }
            }
        }
        return "Name";
    }

    private async Task<JsonNode> SendAsync(HttpClient http, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request, cancellationToken);
        return await _provider.ReadJsonAsync(response, cancellationToken);
    }

    private static JsonArray Batch(List<JsonObject> blocks, int offset) =>
        new(blocks.Skip(offset).Take(MaxBlocksPerRequest).Select(b => (JsonNode)b.DeepClone()).ToArray());

    /// <summary>A compact list of Notion's results: id, kind, url, title (and the raw properties for database rows).</summary>
    private static JsonArray Results(JsonNode found, bool withProperties = false)
    {
        if (found["results"] is not JsonArray results)
        {
            throw new StepFailedException("Notion's answer has no 'results' list");
        }
        return new JsonArray(results.OfType<JsonObject>().Select(result =>
        {
            var item = new JsonObject
            {
                ["id"] = (string?)result["id"],
                ["object"] = (string?)result["object"],
                ["url"] = (string?)result["url"],
                ["title"] = TitleOf(result),
            };
            if (withProperties)
            {
                item["properties"] = result["properties"]?.DeepClone();
            }
            return (JsonNode)item;
        }).ToArray());
    }

    private static string TitleOf(JsonObject result)
    {
        var title = result["title"] as JsonArray;
        if (title is null && result["properties"] is JsonObject properties)
        {
            title = properties.Select(p => p.Value).FirstOrDefault(p => (string?)p?["type"] == "title")?["title"] as JsonArray;
        }
        return string.Concat((title ?? []).Select(t => t?["plain_text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? text.GetValue<string>()
            : (string?)t?["text"]?["content"]));
    }
}
