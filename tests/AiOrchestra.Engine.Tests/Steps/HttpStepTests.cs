using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Http;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Engine.Tests.Steps;

public sealed class HttpStepTests(LocalHttpServer server) : IClassFixture<LocalHttpServer>, IDisposable
{
    private readonly HttpClient _client = LocalHttpServer.AllowListedClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Get_outputs_status_headers_body_and_parsed_json()
    {
        var output = await Request(new JsonObject { ["url"] = server.Url("/json") });

        Assert.Equal(200, output["status"]!.GetValue<int>());
        Assert.StartsWith("application/json", output["headers"]!["content-type"]!.GetValue<string>());
        Assert.Contains("\"hello\":\"world\"", output["body"]!.GetValue<string>());
        Assert.Equal("world", output["json"]!["hello"]!.GetValue<string>());
        Assert.Equal(2, output["json"]!["items"]![1]!.GetValue<int>());
    }

    [Fact]
    public async Task A_response_that_is_not_json_has_null_json()
    {
        var output = await Request(new JsonObject { ["url"] = server.Url("/text") });

        Assert.Equal("plain words", output["body"]!.GetValue<string>());
        Assert.Null(output["json"]);
    }

    [Theory]
    [InlineData("/latin1")]
    [InlineData("/utf8-bom")]
    [InlineData("/utf16-bom")]
    public async Task A_body_is_decoded_by_its_charset_or_its_byte_order_mark_which_is_not_kept(string path)
    {
        var output = await Request(new JsonObject { ["url"] = server.Url(path) });

        Assert.Equal("café", output["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_sends_an_object_body_as_json_with_the_given_headers()
    {
        var output = await Request(new JsonObject
        {
            ["method"] = "post",
            ["url"] = server.Url("/echo"),
            ["headers"] = new JsonObject { ["X-Test"] = "yes" },
            ["body"] = new JsonObject { ["title"] = "Inbox digest", ["count"] = 3 },
        });

        var echoed = output["json"]!;
        Assert.Equal("POST", echoed["method"]!.GetValue<string>());
        Assert.StartsWith("application/json", echoed["content_type"]!.GetValue<string>());
        Assert.Equal("""{"title":"Inbox digest","count":3}""", echoed["body"]!.GetValue<string>());
        Assert.Equal("yes", echoed["x_test"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_sends_a_text_body_as_text_unless_a_content_type_is_given()
    {
        var plain = await Request(new JsonObject { ["method"] = "POST", ["url"] = server.Url("/echo"), ["body"] = "hello" });
        var typed = await Request(new JsonObject
        {
            ["method"] = "POST",
            ["url"] = server.Url("/echo"),
            ["body"] = "<a/>",
            ["headers"] = new JsonObject { ["Content-Type"] = "application/xml" },
        });

        Assert.StartsWith("text/plain", plain["json"]!["content_type"]!.GetValue<string>());
        Assert.Equal("hello", plain["json"]!["body"]!.GetValue<string>());
        Assert.Equal("application/xml", typed["json"]!["content_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_status_other_than_expect_status_fails_at_once()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            Request(new JsonObject { ["url"] = server.Url("/json"), ["expect_status"] = 201 }));

        Assert.False(error.Transient);
        Assert.Contains("returned 200 OK (expected 201)", error.Message);
    }

    [Fact]
    public async Task Expect_status_may_accept_an_error_status()
    {
        var output = await Request(new JsonObject { ["url"] = server.Url("/status/404"), ["expect_status"] = new JsonArray(200, 404) });

        Assert.Equal(404, output["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_503_is_transient_and_carries_the_retry_after_hint()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => Request(new JsonObject { ["url"] = server.Url("/status/503") }));

        Assert.True(error.Transient);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("returned 503 Service Unavailable: status 503: the service says no", error.Message);
    }

    [Fact]
    public async Task A_429_with_a_retry_after_date_waits_until_that_date()
    {
        var time = new FakeTimeProvider(LocalHttpServer.ClockForRetryDate);
        var step = new HttpStep(_client, time);

        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            step.ExecuteAsync(Call(new JsonObject { ["url"] = server.Url("/limited") }), CancellationToken.None));

        Assert.True(error.Transient);
        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public async Task A_404_is_not_transient_and_never_shows_headers_or_the_query()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => Request(new JsonObject
        {
            ["url"] = server.Url("/status/404?api_key=query-secret"),
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer header-secret" },
        }));

        Assert.False(error.Transient);
        Assert.Null(error.RetryAfter);
        Assert.Contains("/status/404 returned 404 Not Found: status 404: the service says no", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public async Task A_refused_connection_is_transient()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = await Assert.ThrowsAsync<StepFailedException>(() => Request(new JsonObject { ["url"] = $"http://127.0.0.1:{port}/" }));

        Assert.True(error.Transient);
        Assert.Contains("could not get a response", error.Message);
    }

    [Fact]
    public async Task A_body_over_the_limit_fails_with_a_clear_error()
    {
        var step = new HttpStep(_client, maxResponseBytes: 1000);

        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            step.ExecuteAsync(Call(new JsonObject { ["url"] = server.Url("/big") }), CancellationToken.None));

        Assert.False(error.Transient);
        Assert.Contains("larger than", error.Message);
    }

    [Theory]
    [InlineData("ftp://example.com/file", "parameter 'url' must use http:// or https://, not 'ftp'")]
    [InlineData("not a url", "parameter 'url' must be an absolute address starting with http:// or https://")]
    public async Task Only_http_and_https_addresses_are_called(string url, string message)
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => Request(new JsonObject { ["url"] = url }));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task A_bad_expect_status_or_method_names_the_parameter()
    {
        var status = await Assert.ThrowsAsync<StepFailedException>(() =>
            Request(new JsonObject { ["url"] = server.Url("/json"), ["expect_status"] = "often" }));
        var method = await Assert.ThrowsAsync<StepFailedException>(() =>
            Request(new JsonObject { ["url"] = server.Url("/json"), ["method"] = "GE T" }));

        Assert.StartsWith("parameter 'expect_status'", status.Message);
        Assert.StartsWith("parameter 'method'", method.Message);
    }

    private async Task<JsonNode> Request(JsonObject parameters) =>
        (await new HttpStep(_client).ExecuteAsync(Call(parameters), CancellationToken.None))!;

    private static StepCall Call(JsonObject parameters) => TemplateAndPromptStepTests.Call("request", parameters);
}

public sealed class HttpStepInWorkflowTests(LocalHttpServer server) : IClassFixture<LocalHttpServer>, IDisposable
{
    private readonly HttpClient _client = LocalHttpServer.AllowListedClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task The_executor_waits_for_the_servers_retry_after_before_calling_again()
    {
        var time = new Execution.ObservedTimeProvider();
        var executor = new WorkflowExecutor(new StepCatalog([new HttpStep(_client, time)]), time, new Execution.FixedRandom(1.0));
        var step = new AiOrchestra.Engine.Workflows.WorkflowStep
        {
            StepId = "call",
            StepType = "http",
            Action = "request",
            Parameters = new JsonObject { ["url"] = server.Url("/status/503") },
            Retry = new AiOrchestra.Engine.Workflows.RetrySettings { MaxAttempts = 2, InitialDelayMs = 100, MaxDelayMs = 100 },
        };
        var journal = new Execution.RecordingJournal();

        var running = executor.ExecuteAsync(
            new RunRequest { RunId = "r", OwnerId = "o", Workflow = new AiOrchestra.Engine.Workflows.Workflow { WorkflowId = "wf", Steps = [step] } },
            journal, CancellationToken.None);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        Assert.Equal(["started call #0 attempt 1"], journal.Events);
        time.Advance(TimeSpan.FromSeconds(7));
        var result = await running;

        Assert.False(result.Success);
        Assert.Equal(2, result.Steps[0].Attempts);
        Assert.EndsWith("returned 503 Service Unavailable: status 503: the service says no (after 2 attempts)", result.Errors[0]);
    }
}
