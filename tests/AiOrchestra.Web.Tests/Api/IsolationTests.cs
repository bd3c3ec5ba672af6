using System.Net;
using System.Net.Http.Json;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>One user's workflows, prompts and runs are invisible to another: 404, never 403.</summary>
public class IsolationTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Another_users_ids_are_not_found()
    {
        using var alice = await app.AdminAsync();
        using var bob = await app.NewUserAsync("bob");
        Assert.Equal(HttpStatusCode.Created, (await alice.PostAsync("/api/workflows", ApiFactory.Json(
            """{"workflow_id": "private", "steps": [{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "secret"}}]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await alice.PostAsJsonAsync("/api/prompts", new { template_id = "private", template = "secret {{x}}" })).StatusCode);
        var run = await (await alice.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "private" })).JsonAsync();
        var runId = run["run_id"]!.GetValue<string>();

        await (await bob.GetAsync("/api/workflows/private")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.PutAsync("/api/workflows/private", ApiFactory.Json(
            """{"workflow_id": "private", "steps": [{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "mine"}}]}"""))).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.DeleteAsync("/api/workflows/private")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "private" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync("/api/prompts/private")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.PostAsJsonAsync("/api/prompts/private/render", new { variables = new { x = 1 } })).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.DeleteAsync("/api/prompts/private")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync($"/api/runs/{runId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync($"/api/runs/{runId}/log")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.GetAsync($"/api/runs/{runId}/events")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.PostAsync($"/api/runs/{runId}/cancel", null)).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await (await bob.GetAsync("/api/workflows")).JsonAsync()).AsArray());
        Assert.Empty((await (await bob.GetAsync("/api/prompts")).JsonAsync()).AsArray());
        Assert.Empty((await (await bob.GetAsync("/api/runs")).JsonAsync())["runs"]!.AsArray());

        // and Alice's things are untouched
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/workflows/private")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/prompts/private")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/runs/{runId}")).StatusCode);
    }
}
