using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Ledger;

/// <summary>
/// The LLM ledger against the OpenAI fake: what each LLM step sent and got back, priced from the Pricing table, added up
/// per run (API and run page), per workflow and day (Home), and two runs side by side (compare page).
/// </summary>
public sealed class LedgerTests
{
    private const string Workflow = """
        {
          "workflow_id": "ledger_flow",
          "name": "Ledger",
          "steps": [
            { "step_id": "draft", "step_type": "openai", "action": "generate_completion",
              "parameters": { "template_id": "ledger_prompt", "variables": { "topic": "{{topic}}" }, "model": "gpt-4.1-mini",
                              "temperature": 0.2, "max_tokens": 50 } },
            { "step_id": "polish", "step_type": "openai", "action": "chat_completion",
              "parameters": { "prompt": "Polish: {{draft_output}}", "model": "plain-model" } },
            { "step_id": "done", "step_type": "template", "action": "render", "parameters": { "text": "done" } }
          ],
          "variables": { "topic": "tides" }
        }
        """;

    private static readonly Dictionary<string, string?> Prices = new()
    {
        ["Pricing:Models:gpt-4o-mini:InputPerMillion"] = "1000",
        ["Pricing:Models:gpt-4o-mini:OutputPerMillion"] = "2000",
        ["Pricing:Models:plain-model:InputPerMillion"] = "500",
        ["Pricing:Models:plain-model:OutputPerMillion"] = "1000",
    };

    /// <summary>
    /// The chat server: streams "Hello, world" as gpt-4o-mini (12 tokens in, 3 out), except for plain-model, which it
    /// answers with one JSON completion (as servers that ignore "stream" do) as plain-model-2025, cut at its length.
    /// </summary>
    private static Task Respond(RecordedRequest request, HttpContext context)
    {
        if ((string?)JsonNode.Parse(request.Body)?["model"] == "plain-model")
        {
            return FakeServer.Json(context, 200, """
                {"id":"chatcmpl-2","object":"chat.completion","created":1730000000,"model":"plain-model-2025",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Polished."},"finish_reason":"length"}],
                 "usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}
                """);
        }
        return OpenAIStepTests.StreamAsync(context, "Hello", ", ", "world");
    }

    [Fact]
    public async Task Each_llm_call_is_recorded_with_what_was_sent_the_models_settings_finish_reason_tokens_and_cost()
    {
        await using var fake = await FakeServer.StartAsync(Respond);
        using var app = new IntegrationApp(fake.Url, Prices);
        using var api = await app.AdminAsync();
        await api.PostAsync("/api/prompts", ApiFactory.Json("""
            {"template_id": "ledger_prompt", "name": "Ledger", "template": "Write about {{topic}}", "system_prompt": "You are terse."}
            """));
        var saved = await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        var runId = (string)(await IntegrationApp.ExecuteAsync(api, "ledger_flow"))["run_id"]!;
        var run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();

        var draft = run["steps"]![0]!["ledger"]!;
        var prompt = draft["prompts"]!.AsArray().Single()!;
        Assert.Equal("ledger_prompt", (string?)prompt["template_id"]);
        Assert.Equal(1, (int)prompt["version"]!);
        var streamed = draft["calls"]!.AsArray().Single()!;
        Assert.Equal("OpenAI", (string?)streamed["provider"]);
        Assert.Equal("gpt-4.1-mini", (string?)streamed["model_requested"]);
        Assert.Equal("gpt-4o-mini", (string?)streamed["model_answered"]);
        Assert.Equal(0.2, (double)streamed["temperature"]!);
        Assert.Equal(50, (int)streamed["max_tokens"]!);
        Assert.Equal(
            [("system", "You are terse."), ("user", "Write about tides")],
            streamed["messages"]!.AsArray().Select(m => ((string)m!["role"]!, (string)m["content"]!)));
        Assert.Equal("stop", (string?)streamed["finish_reason"]);
        Assert.Equal(12, (int)streamed["input_tokens"]!);
        Assert.Equal(3, (int)streamed["output_tokens"]!);
        Assert.True((bool)streamed["streamed"]!);
        // priced by the model that answered: 12 x 1000 + 3 x 2000 per million
        Assert.Equal(0.018m, (decimal)streamed["cost"]!);

        var plain = run["steps"]![1]!["ledger"]!["calls"]!.AsArray().Single()!;
        Assert.Equal("plain-model", (string?)plain["model_requested"]);
        Assert.Equal("plain-model-2025", (string?)plain["model_answered"]);
        Assert.Null(plain["temperature"]);
        Assert.Equal("length", (string?)plain["finish_reason"]);
        Assert.False((bool)plain["streamed"]!);
        Assert.Equal([("user", "Polish: Hello, world")], plain["messages"]!.AsArray().Select(m => ((string)m!["role"]!, (string)m["content"]!)));
        // plain-model-2025 has no price of its own: the listed name it starts with prices it (20 x 500 + 5 x 1000 per million)
        Assert.Equal(0.015m, (decimal)plain["cost"]!);
        Assert.Empty(run["steps"]![1]!["ledger"]!["prompts"]!.AsArray());

        Assert.Null(run["steps"]![2]!["ledger"]);
        var totals = run["llm_totals"]!;
        Assert.Equal(2, (int)totals["calls"]!);
        Assert.Equal(32, (int)totals["input_tokens"]!);
        Assert.Equal(8, (int)totals["output_tokens"]!);
        Assert.Equal(0.033m, (decimal)totals["cost"]!);
        Assert.Equal(0, (int)totals["unpriced_calls"]!);

        using var browser = await app.BrowserAsync();
        var page = await browser.GetDocumentAsync($"/Logs/{runId}");
        Assert.Equal("0.0330", page.QuerySelector("#ledger-totals [data-field='cost']")!.TextContent);
        Assert.Equal("32", page.QuerySelector("#ledger-totals [data-field='input-tokens']")!.TextContent);
        var link = page.QuerySelector("#ledger-draft a[data-prompt='ledger_prompt']")!;
        Assert.Equal("1", link.GetAttribute("data-version"));
        Assert.Equal("gpt-4o-mini", page.QuerySelector("#ledger-draft [data-field='model-answered']")!.TextContent);
        Assert.Equal("length", page.QuerySelector("#ledger-polish [data-field='finish-reason']")!.TextContent);
        Assert.Contains("Write about tides", page.QuerySelector("#ledger-draft .ledger-messages")!.TextContent);
        Assert.Null(page.QuerySelector("#ledger-done"));
    }

    [Fact]
    public async Task A_ledger_is_stored_without_its_totals_and_defaults_and_reads_back_whole_as_one_stored_whole_does()
    {
        await using var fake = await FakeServer.StartAsync(Respond);
        using var app = new IntegrationApp(fake.Url, Prices);
        using var api = await app.AdminAsync();
        await api.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "ledger_prompt", "name": "Ledger", "template": "Write about {{topic}}"}"""));
        await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow));
        var runId = (string)(await IntegrationApp.ExecuteAsync(api, "ledger_flow"))["run_id"]!;
        var shown = await LedgersAsync(api, runId);

        // every key shown, in the order the ledger was written, null settings and defaults included
        var polish = JsonNode.Parse(shown[1])!;
        Assert.Equal(["prompts", "calls", "calls_count", "input_tokens", "output_tokens", "cost", "unpriced_calls"], polish.AsObject().Select(p => p.Key));
        Assert.Equal(
            ["provider", "model_requested", "model_answered", "temperature", "max_tokens", "first_message", "messages", "finish_reason",
             "input_tokens", "output_tokens", "streamed", "cost"],
            polish["calls"]![0]!.AsObject().Select(p => p.Key));
        Assert.Contains("\"temperature\":null", shown[1]);
        Assert.Contains("\"first_message\":0", shown[1]);
        Assert.Contains("\"streamed\":false", shown[1]);
        Assert.Equal(1, (int)polish["calls_count"]!);
        Assert.Equal(0.015m, (decimal)polish["cost"]!);

        // stored without them: about 150 bytes less a call
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Database.SqlQuery<string>($"SELECT ledger AS \"Value\" FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = {runId}) AND ledger IS NOT NULL ORDER BY step_index").ToListAsync();
        Assert.Equal(2, stored.Count);
        Assert.All(stored, s => Assert.DoesNotContain("calls_count", s));
        Assert.DoesNotContain("temperature", stored[1]);
        Assert.DoesNotContain("prompts", stored[1]);
        Assert.True(stored[1].Length + 150 <= shown[1].Length, $"{stored[1].Length} stored against {shown[1].Length} shown");

        // a ledger stored whole (as before) reads as it was
        for (var index = 0; index < 2; index++)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE run_steps SET ledger = {shown[index]} WHERE run_key = (SELECT key FROM runs WHERE id = {runId}) AND step_index = {index}");
        }
        Assert.Equal(shown, await LedgersAsync(api, runId));
    }

    /// <summary>The ledgers of the run's two LLM steps as the API shows them.</summary>
    private static async Task<List<string>> LedgersAsync(HttpClient api, string runId)
    {
        var run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
        return [run["steps"]![0]!["ledger"]!.ToJsonString(), run["steps"]![1]!["ledger"]!.ToJsonString()];
    }

    [Fact]
    public async Task Home_adds_up_cost_per_workflow_and_day_and_compare_shows_two_runs_side_by_side()
    {
        await using var fake = await FakeServer.StartAsync(Respond);
        using var app = new IntegrationApp(fake.Url, Prices);
        using var api = await app.AdminAsync();
        await api.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "ledger_prompt", "name": "Ledger", "template": "Write about {{topic}}"}"""));
        await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow));

        var first = (string)(await IntegrationApp.ExecuteAsync(api, "ledger_flow"))["run_id"]!;
        var second = (string)(await IntegrationApp.ExecuteAsync(api, "ledger_flow", new { topic = "waves" }))["run_id"]!;

        using var browser = await app.BrowserAsync();
        var home = await browser.GetDocumentAsync("/");
        Assert.Equal("0.0660", home.QuerySelector("#llm-spending-total")!.TextContent);
        var byWorkflow = Assert.Single(home.QuerySelectorAll("#llm-by-workflow tbody tr"));
        Assert.Equal(["ledger_flow", "4", "64", "16", "0.0660"], byWorkflow.QuerySelectorAll("td").Select(td => td.TextContent));
        var byDay = Assert.Single(home.QuerySelectorAll("#llm-by-day tbody tr"));
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd"), byDay.QuerySelector("td")!.TextContent);
        Assert.Equal("0.0660", byDay.QuerySelector("td.cost")!.TextContent);

        var compare = await browser.GetDocumentAsync($"/Logs/Compare?a={first}&b={second}");
        Assert.Equal([first, second], compare.QuerySelectorAll("#compare thead th[data-run]").Select(th => th.GetAttribute("data-run")));
        var inputs = compare.QuerySelectorAll("#compare tbody tr")[1].QuerySelectorAll("td");
        Assert.Equal("{}", inputs[0].TextContent.Trim());
        Assert.Contains("waves", inputs[1].TextContent);
        var draft = compare.QuerySelectorAll("#compare tr[data-step='draft'] td");
        Assert.Equal(2, draft.Length);
        Assert.All(draft, td => Assert.Equal("Hello, world", td.QuerySelector("pre.output")!.TextContent));
        Assert.All(draft, td => Assert.Equal("0.0180", td.QuerySelector(".cost")!.TextContent));
        Assert.Equal(["0.0330", "0.0330"], compare.QuerySelectorAll("#compare-totals .cost").Select(c => c.TextContent));
        Assert.Equal(3, compare.QuerySelectorAll("#compare tr[data-step]").Length);

        var missing = await browser.GetAsync($"/Logs/Compare?a={first}&b=no-such-run");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_negative_price_stops_the_start_naming_the_key()
    {
        using var database = new Store.TempDatabase();
        await using var host = new Store.StoreHost(database, new Store.FakeSteps(), new()
        {
            ["Pricing:Models:gpt-4o:InputPerMillion"] = "2.5",
            ["Pricing:Models:gpt-4o:OutputPerMillion"] = "-10",
        });

        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        Assert.Contains("Pricing:Models:gpt-4o:OutputPerMillion is -10; a price cannot be negative", error.ToString());
        Assert.DoesNotContain("InputPerMillion", error.ToString());
    }
}
