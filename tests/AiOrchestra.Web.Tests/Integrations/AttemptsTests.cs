using AiOrchestra.Web.Tests.Api;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>A transient failure retried by the HTTP pipeline shows as attempts on the step, wherever the step is shown.</summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class AttemptsTests
{
    [Fact]
    public async Task A_429_then_a_success_is_stored_and_shown_as_two_attempts()
    {
        var requests = 0;
        await using var fakes = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref requests) == 1
            ? OpenAIStepTests.ErrorAsync(context, 429, "Rate limit reached, retry shortly.", "rate_limit_exceeded", ("Retry-After", "0"))
            : OpenAIStepTests.StreamAsync(context, "Fine", " now."));
        using var app = new IntegrationApp(fakes.Url, sqliteOnly: true); // reads the SQLite file
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();

        var result = await IntegrationApp.ExecuteAsync(api, "simple_ai_completion");

        Assert.True((bool)result["success"]!, result.ToJsonString());
        Assert.Equal("Fine now.", (string?)result["outputs"]!["complete"]);
        Assert.Equal(2, fakes.Received.Count);
        var runId = (string)result["run_id"]!;
        Assert.Equal(2, (int)result["steps"]![0]!["attempts"]!);
        Assert.Equal(2, (int)(await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync())["steps"]![0]!["attempts"]!);
        Assert.Equal(2, (int)(await (await api.GetAsync($"/api/runs/{runId}/log")).JsonAsync())["steps"]![0]!["attempts"]!);
        Assert.Contains("2 attempts", await browser.GetStringAsync($"/Logs/{runId}"));

        using var connection = new SqliteConnection($"Data Source={app.DatabaseFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT attempts FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = $run)";
        query.Parameters.AddWithValue("$run", runId);
        Assert.Equal(2L, query.ExecuteScalar());
    }
}
