using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Web.Tests.Api;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>A user may hold at most Runs:LiveStreamsPerUser live event streams at once, API and run pages together.</summary>
public sealed class LiveStreamLimitTests
{
    /// <summary>An answer that starts, then waits for <paramref name="gate"/>: the run stays running meanwhile.</summary>
    private static async Task HeldAnswerAsync(HttpContext context, Task gate)
    {
        await gate;
        await OpenAIStepTests.StreamAsync(context, "done");
    }

    [Fact]
    public async Task A_stream_over_the_users_limit_gets_429_with_a_message_and_one_closing_makes_room()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fakes = await FakeServer.StartAsync((_, context) => HeldAnswerAsync(context, gate.Task));
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Runs:LiveStreamsPerUser"] = "2" });
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        try
        {
            var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "simple_ai_completion", wait = false });
            var runId = (string)(await queued.JsonAsync())["run_id"]!;

            var apiStream = await api.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
            var pageStream = await browser.GetAsync($"/runs/{runId}/live", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, apiStream.StatusCode);
            Assert.Equal(HttpStatusCode.OK, pageStream.StatusCode);

            var overApi = await api.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
            var overPage = await browser.GetAsync($"/runs/{runId}/live", HttpCompletionOption.ResponseHeadersRead);

            Assert.Equal(HttpStatusCode.TooManyRequests, overApi.StatusCode);
            var problem = await overApi.ProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.Contains("You already have 2 live event streams open", problem["detail"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.TooManyRequests, overPage.StatusCode);
            Assert.Contains("Runs:LiveStreamsPerUser", await overPage.Content.ReadAsStringAsync());

            // a stream closed by its client makes room for another (the server sees the close as it happens)
            apiStream.Dispose();
            var reopened = await EventuallyOkAsync(() => api.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead));
            reopened.Dispose();
            pageStream.Dispose();
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    private static async Task<HttpResponseMessage> EventuallyOkAsync(Func<Task<HttpResponseMessage>> send)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var response = await send();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(50);
        }
        Assert.Fail("the closed stream was never released");
        return null!;
    }
}
