using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>Rendering a prompt through the API has the same cap as a step's parameter.</summary>
public sealed class PromptRenderLimitTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_prompt_that_repeats_a_large_variable_is_refused_naming_the_limit()
    {
        using var client = await app.AdminAsync();
        var created = await client.PostAsJsonAsync("/api/prompts", new
        {
            template_id = "repeat", name = "Repeat", template = string.Concat(Enumerable.Repeat("{{v}}", 2000)),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var response = await client.PostAsJsonAsync("/api/prompts/repeat/render", new { variables = new { v = new string('x', 1000) } });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var error = problem["errors"]!["variables"]![0]!.GetValue<string>();
        Assert.Contains("larger than 1 MiB", error);
        Assert.Contains("Runs__MaxRenderedParameterBytes", error);
        var small = await (await client.PostAsJsonAsync("/api/prompts/repeat/render", new { variables = new { v = "x" } })).JsonAsync();
        Assert.Equal(2000, small["rendered"]!.GetValue<string>().Length);
    }
}
