namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// The resilience pipeline logs every attempt at Information under <c>Polly</c> (thousands of lines a second under
/// load): by default only its warnings (a retried attempt, a failure) reach the log.
/// </summary>
public sealed class ResilienceLogTests
{
    [Fact]
    public async Task A_plain_call_writes_no_Polly_line_and_a_retry_is_still_logged_at_Warning()
    {
        var requests = 0;
        await using var fakes = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref requests) == 2
            ? OpenAIStepTests.ErrorAsync(context, 503, "Overloaded, retry shortly.", "server_error", ("Retry-After", "0"))
            : OpenAIStepTests.StreamAsync(context, "Fine."));
        using var app = new IntegrationApp(fakes.Url, everyLevel: false);
        using var api = await app.AdminAsync();

        var plain = await IntegrationApp.ExecuteAsync(api, "simple_ai_completion");
        var pollyAfterPlainCall = PollyLines(app);
        var retried = await IntegrationApp.ExecuteAsync(api, "simple_ai_completion");

        Assert.True((bool)plain["success"]!, plain.ToJsonString());
        Assert.True((bool)retried["success"]!, retried.ToJsonString());
        Assert.Equal(3, fakes.Received.Count);
        Assert.Empty(pollyAfterPlainCall);
        var lines = PollyLines(app);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.StartsWith("Warning", line));
        Assert.Contains(lines, line => line.Contains("OnRetry", StringComparison.Ordinal));
    }

    private static List<string> PollyLines(IntegrationApp app) =>
        app.Logs.Lines.Where(line => line.Split(' ', 3)[1].StartsWith("Polly", StringComparison.Ordinal)).ToList();
}
