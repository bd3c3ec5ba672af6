using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Web.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Outbound;

/// <summary>The app with 127.0.0.1 on its outbound allow list (<c>Outbound__Allow</c>).</summary>
public sealed class AllowListedApp : ApiFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Outbound:Allow"] = "192.0.2.1, 127.0.0.1" };
}

/// <summary>The http step in the running app: the app itself is out of reach unless the allow list lets it in.</summary>
public sealed class OutboundTests(ApiFactory app, AllowListedApp allowListed) : IClassFixture<ApiFactory>, IClassFixture<AllowListedApp>
{

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("2130706433")]
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task By_default_a_workflow_cannot_call_the_app_itself(string host)
    {
        using var client = await app.AdminAsync();
        var port = client.BaseAddress!.Port;

        var result = await ExecuteAsync(client, $"http://{host}:{port}/health");

        Assert.False(result["success"]!.GetValue<bool>(), result.ToJsonString());
        var error = result["errors"]![0]!.GetValue<string>();
        Assert.Contains("the outbound policy refused to connect to", error);
        Assert.Contains("127.0.0.1", error);
        Assert.Contains("Outbound__Allow", error);
    }

    [Fact]
    public async Task An_allow_listed_address_is_called()
    {
        using var client = await allowListed.AdminAsync();

        var result = await ExecuteAsync(client, $"http://127.0.0.1:{client.BaseAddress!.Port}/health");

        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(200, result["outputs"]!["call"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_json_response_is_stored_once_and_read_back_as_the_step_gave_it()
    {
        using var client = await allowListed.AdminAsync();

        var result = await ExecuteAsync(client, $"http://127.0.0.1:{client.BaseAddress!.Port}/health");

        var live = result["outputs"]!["call"]!;
        var body = live["body"]!.GetValue<string>();
        Assert.Equal(live["json"]!.ToJsonString(), body);
        var runId = result["run_id"]!.GetValue<string>();
        var factory = allowListed.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<AiOrchestra.Web.Data.AppDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var stored = await db.Database.SqlQueryRaw<string>(
                "SELECT output AS \"Value\" FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = {0})", runId).SingleAsync();
            // the text is stored once (as the parsed json), not beside it
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(stored, System.Text.RegularExpressions.Regex.Escape(body)));
            Assert.DoesNotContain("\\u0022", stored);
        }
        var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
        var shown = run["steps"]![0]!["output"]!;
        Assert.Equal(body, shown["body"]!.GetValue<string>());
        Assert.Equal(live.ToJsonString(), shown.ToJsonString());
    }

    [Fact]
    public void A_wrong_allow_list_entry_stops_the_start_naming_it()
    {
        using var wrong = new WrongAllowList();

        var error = Assert.Throws<FormatException>(() => wrong.Anonymous());

        Assert.StartsWith("Outbound__Allow: '10.0.0.0/33' is not a CIDR range", error.Message);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> ExecuteAsync(HttpClient client, string target)
    {
        var id = "call_" + Guid.NewGuid().ToString("N")[..8];
        var saved = await client.PostAsync("/api/workflows", ApiFactory.Json($$$"""
            {"workflow_id": "{{{id}}}", "steps": [
              {"step_id": "call", "step_type": "http", "action": "request", "parameters": {"url": "{{target}}"}}
            ], "variables": {"target": ""}}
            """));
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var run = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = id, variables = new { target } });
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        return await run.JsonAsync();
    }

    private sealed class WrongAllowList : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Outbound:Allow"] = "127.0.0.1,10.0.0.0/33" };
    }
}
