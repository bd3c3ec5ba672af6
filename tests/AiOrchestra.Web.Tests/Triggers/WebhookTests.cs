using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;

namespace AiOrchestra.Web.Tests.Triggers;

public class WebhookTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    /// <summary>Saves a one-step workflow rendering <paramref name="text"/> with the given trigger; returns its webhook URL.</summary>
    private async Task<string> HookAsync(HttpClient client, string id, string trigger, string text = "hello {{trigger.body.name}}")
    {
        var json = $$$"""
            {"workflow_id": "{{{id}}}", "steps": [{"step_id": "reply", "step_type": "template", "action": "render", "parameters": {"text": {{{JsonValue.Create(text)!.ToJsonString()}}}}}],
             "triggers": [{{{trigger}}}]}
            """;
        var saved = await client.PostAsync("/api/workflows", ApiFactory.Json(json));
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());
        var document = await (await client.GetAsync($"/api/workflows/{id}")).JsonAsync();
        return document["triggers"]![0]!["url"]!.GetValue<string>();
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> FinishedAsync(HttpClient client, string runId)
    {
        for (var i = 0; i < 400; i++)
        {
            var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
            if (run["status"]!.GetValue<string>() is "succeeded" or "failed" or "cancelled")
            {
                return run;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"run {runId} did not finish");
    }

    private static async Task<int> RunCountAsync(HttpClient client, string workflowId) =>
        (await (await client.GetAsync($"/api/runs?workflow_id={workflowId}")).JsonAsync())["runs"]!.AsArray().Count;

    [Fact]
    public async Task An_accepted_webhook_answers_202_and_its_run_reads_body_query_and_headers()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_accepted", """{"trigger_id": "push", "type": "webhook"}""",
            "{{trigger.body.name}} {{trigger.query.ref}} {{trigger.headers.x-github-event}}");
        Assert.StartsWith(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + "/hooks/", url, StringComparison.Ordinal);
        using var hooks = app.Anonymous();

        using var request = new HttpRequestMessage(HttpMethod.Post, url + "?ref=main") { Content = Body("""{"name": "Ada"}""") };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("Authorization", "Bearer not-for-the-run");
        var response = await hooks.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.JsonAsync())["run_id"]!.GetValue<string>();
        var run = await FinishedAsync(client, runId);
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal("webhook:push", run["origin"]!.GetValue<string>());
        Assert.Equal("Ada main push", run["outputs"]!["reply"]!.GetValue<string>());
        Assert.Null(run["inputs"]!["trigger"]!["headers"]!["authorization"]);
    }

    [Fact]
    public async Task An_output_webhook_answers_with_the_response_step_output_and_500_when_the_run_fails()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_output", """{"trigger_id": "ask", "type": "webhook", "respond": "output", "response_step": "reply"}""");
        using var hooks = app.Anonymous();

        var answered = await hooks.PostAsync(url, Body("""{"name": "Grace"}"""));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("text/plain", answered.Content.Headers.ContentType?.MediaType);
        Assert.Equal("hello Grace", await answered.Content.ReadAsStringAsync());

        var failed = await hooks.PostAsync(url, Body("""{"other": 1}"""));
        var problem = await failed.ProblemAsync(HttpStatusCode.InternalServerError);
        Assert.Contains("has no field 'name'", problem["detail"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(problem["run_id"]?.GetValue<string>()));
    }

    [Fact]
    public async Task A_signed_webhook_starts_runs_only_for_valid_signatures_in_either_header()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_signed", """{"trigger_id": "gh", "type": "webhook", "signed": true}""");
        using var hooks = app.Anonymous();
        const string payload = """{"name": "Linus"}""";

        // no secret made yet: nothing can be valid
        Assert.Equal(HttpStatusCode.Unauthorized, (await hooks.PostAsync(url, Body(payload))).StatusCode);
        var made = await (await client.PostAsync("/api/workflows/hook_signed/triggers/gh/secret", null)).JsonAsync();
        var secret = made["secret"]!.GetValue<string>();
        var document = await (await client.GetAsync("/api/workflows/hook_signed")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, document);

        async Task<HttpStatusCode> Send(string body, string? header, string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body(body) };
            if (header is not null)
            {
                request.Headers.Add(header, signature);
            }
            return (await hooks.SendAsync(request)).StatusCode;
        }
        var valid = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));

        Assert.Equal(HttpStatusCode.Accepted, await Send(payload, "X-Hub-Signature-256", valid));
        Assert.Equal(HttpStatusCode.Accepted, await Send(payload, "X-Signature-256", valid));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(payload, null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(payload, "X-Hub-Signature-256", "sha256=" + new string('0', 64)));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(payload, "X-Signature-256", "sha256=not-hex"));
        // a captured signature replayed with another body
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("""{"name": "Mallory"}""", "X-Hub-Signature-256", valid));
        Assert.Equal(2, await RunCountAsync(client, "hook_signed"));
    }

    [Fact]
    public async Task A_repeated_delivery_key_returns_the_first_run_instead_of_starting_another()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_idempotent", """{"trigger_id": "push", "type": "webhook"}""");
        using var hooks = app.Anonymous();

        async Task<string> Send(string header, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body("""{"name": "x"}""") };
            request.Headers.Add(header, key);
            var response = await hooks.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.JsonAsync())["run_id"]!.GetValue<string>();
        }

        var first = await Send("Idempotency-Key", "order-1");
        Assert.Equal(first, await Send("Idempotency-Key", "order-1"));
        var delivery = await Send("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        Assert.Equal(delivery, await Send("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        Assert.NotEqual(first, delivery);
        Assert.Equal(2, await RunCountAsync(client, "hook_idempotent"));
    }

    [Fact]
    public async Task Bad_bodies_get_problem_details_and_start_nothing()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_bad", """{"trigger_id": "push", "type": "webhook"}""");
        using var hooks = app.Anonymous();

        var notJson = await hooks.PostAsync(url, Body("{\"name\": "));
        Assert.Contains("is not valid JSON", (await notJson.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>());
        var huge = await hooks.PostAsync(url, new ByteArrayContent(new byte[300 * 1024]));
        Assert.Contains("at most 256 KiB", (await huge.ProblemAsync(HttpStatusCode.RequestEntityTooLarge))["detail"]!.GetValue<string>());
        Assert.Equal(0, await RunCountAsync(client, "hook_bad"));

        // a form and plain text are read too
        var form = await hooks.PostAsync(url, new FormUrlEncodedContent([new("name", "Form")]));
        var run = await FinishedAsync(client, (await form.JsonAsync())["run_id"]!.GetValue<string>());
        Assert.Equal("hello Form", run["outputs"]!["reply"]!.GetValue<string>());
    }

    [Fact]
    public async Task Calls_over_the_trigger_rate_limit_get_429_with_retry_after()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_limited", """{"trigger_id": "push", "type": "webhook", "max_per_minute": 2}""");
        using var hooks = app.Anonymous();

        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(url, Body("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(url, Body("{}"))).StatusCode);
        var limited = await hooks.PostAsync(url, Body("{}"));

        await limited.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task Disabled_rotated_and_unknown_addresses_get_404()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_switch", """{"trigger_id": "push", "type": "webhook"}""");
        using var hooks = app.Anonymous();

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/workflows/hook_switch/triggers/push/disable", null)).StatusCode);
        await (await hooks.PostAsync(url, Body("{}"))).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/workflows/hook_switch/triggers/push/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(url, Body("{}"))).StatusCode);

        var rotated = (await (await client.PostAsync("/api/workflows/hook_switch/triggers/push/rotate", null)).JsonAsync())["url"]!.GetValue<string>();
        Assert.NotEqual(url, rotated);
        await (await hooks.PostAsync(url, Body("{}"))).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(rotated, Body("{}"))).StatusCode);
        await (await hooks.PostAsync(url[..url.LastIndexOf('/')] + "/guess", Body("{}"))).ProblemAsync(HttpStatusCode.NotFound);

        var listed = (await (await client.GetAsync("/api/workflows/hook_switch/triggers")).JsonAsync())[0]!;
        Assert.Equal(rotated, listed["url"]!.GetValue<string>());
        Assert.True(listed["enabled"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(listed["last_run_id"]?.GetValue<string>()));
    }

    [Fact]
    public async Task The_document_with_its_urls_can_be_sent_back_unchanged()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_roundtrip", """{"trigger_id": "push", "type": "webhook"}""");
        var document = await (await client.GetAsync("/api/workflows/hook_roundtrip")).Content.ReadAsStringAsync();

        var put = await client.PutAsync("/api/workflows/hook_roundtrip", ApiFactory.Json(document));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        // the same trigger keeps its address across versions
        Assert.Equal(url, (await (await client.GetAsync("/api/workflows/hook_roundtrip")).JsonAsync())["triggers"]![0]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_user_cannot_see_rotate_or_switch_a_trigger()
    {
        using var client = await app.AdminAsync();
        var url = await HookAsync(client, "hook_private", """{"trigger_id": "push", "type": "webhook"}""");
        using var other = await app.NewUserAsync("mallory-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/api/workflows/hook_private/triggers")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/api/workflows/hook_private/triggers/push/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/api/workflows/hook_private/triggers/push/secret", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/api/workflows/hook_private/triggers/push/disable", null)).StatusCode);

        using var hooks = app.Anonymous();
        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(url, Body("{}"))).StatusCode);
    }
}
