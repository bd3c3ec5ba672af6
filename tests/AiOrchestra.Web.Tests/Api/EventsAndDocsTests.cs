using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

public class EventsAndDocsTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private const string TwoSteps = """
        {"workflow_id": "streamed", "steps": [
          {"step_id": "one", "step_type": "template", "action": "render", "parameters": {"text": "first {{who}}"}},
          {"step_id": "two", "step_type": "template", "action": "render", "parameters": {"text": "{{one_output}} then second"}}
        ], "variables": {"who": "me"}}
        """;

    [Fact]
    public async Task Events_stream_a_runs_steps_and_end_with_run_finished()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json(TwoSteps));
        var run = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "streamed", wait = false })).JsonAsync();
        var runId = run["run_id"]!.GetValue<string>();

        var events = await ReadEventsAsync(client, runId, lastEventId: null);

        Assert.Equal(["run-started", "step-started", "step-finished", "step-started", "step-finished", "run-finished"], events.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.Equal("first me then second", events[4].Data["output"]!.GetValue<string>());
        Assert.Equal("two", events[4].Data["step_id"]!.GetValue<string>());
        Assert.Equal("succeeded", events[5].Data["status"]!.GetValue<string>());

        var resumed = await ReadEventsAsync(client, runId, lastEventId: "4");

        Assert.Equal(["step-finished", "run-finished"], resumed.Select(e => e.Type));
    }

    [Fact]
    public async Task Cancelling_a_finished_run_is_409_and_an_unknown_run_404()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json(TwoSteps.Replace("\"streamed\"", "\"done\"")));
        var run = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "done" })).JsonAsync();

        await (await client.PostAsync($"/api/runs/{run["run_id"]}/cancel", null)).ProblemAsync(HttpStatusCode.Conflict);
        await (await client.PostAsync("/api/runs/not-a-run/cancel", null)).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Run_list_pages_and_checks_its_filters()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json(TwoSteps.Replace("\"streamed\"", "\"paged\"")));
        for (var i = 0; i < 3; i++)
        {
            await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "paged" });
        }

        var first = await (await client.GetAsync("/api/runs?workflow_id=paged&limit=2")).JsonAsync();
        var second = await (await client.GetAsync("/api/runs?workflow_id=paged&limit=2&offset=2")).JsonAsync();
        var future = await (await client.GetAsync($"/api/runs?workflow_id=paged&from={DateTimeOffset.UtcNow.AddHours(1):O}".Replace("+", "%2B"))).JsonAsync();

        Assert.Equal(2, first["runs"]!.AsArray().Count);
        Assert.True(first["has_more"]!.GetValue<bool>());
        Assert.Single(second["runs"]!.AsArray());
        Assert.All(first["runs"]!.AsArray(), run => Assert.Equal("api", run!["origin"]!.GetValue<string>()));
        Assert.False(second["has_more"]!.GetValue<bool>());
        Assert.Empty(future["runs"]!.AsArray());
        var bad = await (await client.GetAsync("/api/runs?status=done&limit=0")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(bad["errors"]!["status"]);
        Assert.NotNull(bad["errors"]!["limit"]);
    }

    [Fact]
    public async Task OpenApi_document_lists_every_endpoint_with_the_bearer_scheme()
    {
        using var client = app.Anonymous();

        var document = await (await client.GetAsync("/openapi/v1.json")).JsonAsync();

        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/api/auth/login", "/api/auth/verify", "/api/workflows", "/api/workflows/{id}", "/api/workflows/execute",
                     "/api/runs", "/api/runs/{id}", "/api/runs/{id}/events", "/api/runs/{id}/cancel", "/api/runs/{id}/log",
                     "/api/prompts", "/api/prompts/{id}", "/api/prompts/{id}/render", "/api/steps" })
        {
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
        }
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.NotNull(paths["/api/workflows"]!["get"]!["security"]);
        Assert.Null(paths["/api/auth/login"]!["post"]!["security"]);
        Assert.NotNull(document["components"]!["schemas"]!["WorkflowDocument"]);
    }

    [Fact]
    public async Task Docs_page_is_served_offline()
    {
        using var client = app.Anonymous();

        var page = await client.GetStringAsync("/api/docs");

        Assert.Contains("<script", page);
        Assert.DoesNotContain("cdn.", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"http", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"withDefaultFonts\":false", page.Replace(" ", ""), StringComparison.OrdinalIgnoreCase);
        var script = await client.GetAsync("/api/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        // the page resolves the document against the site's root: it must be there
        Assert.Contains("\"url\":\"openapi/v1.json\"", page.Replace(" ", ""));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task Docs_page_hides_what_needs_the_hosted_service_and_its_introduction_shows_the_token_placeholder()
    {
        using var client = app.Anonymous();

        var page = (await client.GetStringAsync("/api/docs")).Replace(" ", "");
        var description = (await (await client.GetAsync("/openapi/v1.json")).JsonAsync())["info"]!["description"]!.GetValue<string>();

        // "Deploy" and "Generate SDK" live in the developer tools toolbar, "Ask AI" is the agent; none works offline
        Assert.Contains("\"showDeveloperTools\":\"never\"", page);
        Assert.Matches("\"agent\":\\{[^}]*\"disabled\":true", page);
        Assert.Matches("\"mcp\":\\{[^}]*\"disabled\":true", page);
        // the page renders the description as Markdown (raw HTML allowed): the placeholder must survive as text
        var html = Markdig.Markdown.ToHtml(description);
        Assert.Contains("Bearer &lt;token&gt;", html);
    }

    [Fact]
    public async Task Health_is_anonymous_and_reports_the_database()
    {
        using var client = app.Anonymous();

        var health = await (await client.GetAsync("/health")).JsonAsync();

        Assert.Equal("healthy", health["status"]!.GetValue<string>());
        Assert.Equal("healthy", health["checks"]!["AppDbContext"]!.GetValue<string>());
        Assert.Equal(TestPostgres.Server is null ? "sqlite" : "postgres", health["database"]!.GetValue<string>());
    }

    private sealed record ServerSentEvent(string Type, string Id, JsonNode Data);

    private static async Task<List<ServerSentEvent>> ReadEventsAsync(HttpClient client, string runId, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<ServerSentEvent>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            events.Add(new ServerSentEvent(item.EventType, item.EventId ?? "", JsonNode.Parse(item.Data)!));
        }
        return events;
    }
}
