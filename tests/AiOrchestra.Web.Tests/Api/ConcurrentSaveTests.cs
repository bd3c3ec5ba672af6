using System.Net;
using System.Net.Http.Json;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>Saves of the same id at the same moment: never a 500, each PUT its own version, one POST wins.</summary>
public class ConcurrentSaveTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private static string Workflow(string id, string text) =>
        $$$"""{"workflow_id": "{{{id}}}", "steps": [{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{{text}}}"}}]}""";

    [Fact]
    public async Task Simultaneous_puts_each_save_a_new_version()
    {
        using var client = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow("busy", "v1")))).StatusCode);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(i => client.PutAsync("/api/workflows/busy", ApiFactory.Json(Workflow("busy", $"put {i}")))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(Enumerable.Range(2, 20).Select(v => $"\"{v}\""), responses.Select(r => r.Headers.ETag!.Tag).OrderBy(t => int.Parse(t.Trim('"'), System.Globalization.CultureInfo.InvariantCulture)));
        var current = await client.GetAsync("/api/workflows/busy");
        Assert.Equal("\"21\"", current.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Simultaneous_posts_of_a_new_id_create_it_once_and_conflict_otherwise()
    {
        using var client = await app.AdminAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(i => client.PostAsync("/api/workflows", ApiFactory.Json(Workflow("raced", $"post {i}")))));

        Assert.Equal([HttpStatusCode.Created], responses.Select(r => r.StatusCode).Where(s => s != HttpStatusCode.Conflict));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal("\"1\"", (await client.GetAsync("/api/workflows/raced")).Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Simultaneous_posts_of_a_new_prompt_create_it_once_and_conflict_otherwise()
    {
        using var client = await app.AdminAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(i => client.PostAsJsonAsync("/api/prompts", new { template_id = "raced_prompt", name = "p", template = $"text {i} {{{{x}}}}" })));

        Assert.Equal([HttpStatusCode.Created], responses.Select(r => r.StatusCode).Where(s => s != HttpStatusCode.Conflict));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task If_match_with_an_old_etag_is_refused_and_with_the_current_one_saves()
    {
        using var client = await app.AdminAsync();
        var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow("guarded", "v1")));
        var first = created.Headers.ETag!.Tag;
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/api/workflows/guarded", ApiFactory.Json(Workflow("guarded", "v2")))).StatusCode);

        using var stale = new HttpRequestMessage(HttpMethod.Put, "/api/workflows/guarded") { Content = ApiFactory.Json(Workflow("guarded", "lost?")) };
        stale.Headers.TryAddWithoutValidation("If-Match", first);
        var refused = await client.SendAsync(stale);
        using var fresh = new HttpRequestMessage(HttpMethod.Put, "/api/workflows/guarded") { Content = ApiFactory.Json(Workflow("guarded", "v3")) };
        fresh.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
        var saved = await client.SendAsync(fresh);

        var problem = await refused.ProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Contains("is at version 2 now", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal("\"3\"", saved.Headers.ETag!.Tag);
    }
}
