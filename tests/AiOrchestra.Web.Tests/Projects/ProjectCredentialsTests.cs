using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Tests.Integrations.Weather;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Projects;

/// <summary>
/// Each project's credentials, saved on its Settings page, are the ones its runs' steps send (to the local weather fake):
/// never another project's; the instance's default only where the project has none and may use it.
/// </summary>
public sealed class ProjectCredentialsTests : IAsyncLifetime
{
    private const string PersonalKey = "wx-personal-key-000000001111";
    private const string TeamKey = "wx-team-key-0000000000002222";
    private const string InstanceKey = "wx-instance-key-00000003333";

    private FakeServer _weather = null!;
    private WeatherApp _app = null!;

    public async Task InitializeAsync()
    {
        _weather = await FakeServer.StartAsync((request, context) =>
            request.Header("X-Api-Key") is PersonalKey or TeamKey or InstanceKey
                ? FakeServer.Json(context, 200, new JsonObject { ["city"] = context.Request.Query["city"].ToString(), ["summary"] = "rain" }.ToJsonString())
                : FakeServer.Json(context, 401, """{"message": "unknown key"}"""));
        _app = new WeatherApp(_weather.Url);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _weather.DisposeAsync();
    }

    [Fact]
    public async Task A_run_sends_its_own_projects_key_never_another_projects_and_the_instances_only_where_allowed()
    {
        using var api = await _app.AdminAsync();
        using var browser = await _app.BrowserAsync();
        var team = await NewProjectAsync("team");
        var open = await NewProjectAsync("open");
        var locked = await NewProjectAsync("locked");
        foreach (var project in new[] { "", team, open, locked })
        {
            var saved = await api.PostAsync($"/api/workflows?project={project}", ApiFactory.Json("""
                {"workflow_id": "forecast", "name": "Forecast",
                 "steps": [{"step_id": "fc", "step_type": "weather", "action": "forecast", "parameters": {"city": "Oslo"}}]}
                """));
            Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        }

        // the personal project's key, the team's key (the header switched to it), the instance's default
        Assert.Equal(HttpStatusCode.OK, (await browser.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = WeatherIntegration.ApiKey, ["Value"] = PersonalKey }, "/Settings")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostFormAsync("/Projects/Switch", new() { ["project"] = team }, "/Workflows")).StatusCode);
        var teamSaved = await browser.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = WeatherIntegration.ApiKey, ["Value"] = TeamKey }, "/Settings");
        Assert.Contains("for this project", WebUtility.HtmlDecode(await teamSaved.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, (await browser.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = WeatherIntegration.ApiKey, ["Value"] = InstanceKey, ["Scope"] = "instance" }, "/Settings")).StatusCode);
        // an administrator stops the locked project's use of the instance's credentials
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostFormAsync("/Projects/Switch", new() { ["project"] = locked }, "/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.PostFormAsync("/Settings?handler=InstanceDefaults", new() { ["allow"] = "false" }, "/Settings")).StatusCode);

        // the team's page shows its own key masked, never the personal one
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostFormAsync("/Projects/Switch", new() { ["project"] = team }, "/Workflows")).StatusCode);
        var teamPage = WebUtility.HtmlDecode(await browser.GetStringAsync("/Settings"));
        Assert.Contains("••••••••2222", teamPage);
        Assert.DoesNotContain("••••••••1111", teamPage);
        Assert.DoesNotContain(TeamKey, teamPage);

        Assert.Equal(PersonalKey, await RunAsync(api, ""));
        Assert.Equal(TeamKey, await RunAsync(api, team));
        Assert.Equal(PersonalKey, await RunAsync(api, ""));
        Assert.Equal(InstanceKey, await RunAsync(api, open));

        var refused = await ExecuteAsync(api, locked);
        Assert.False((bool)refused["success"]!);
        Assert.Contains("Weather:ApiKey is not set for this project", refused.ToJsonString());
        Assert.Equal(3 + 1, _weather.Received.Count(r => r.Path == "/forecast"));
    }

    /// <summary>Runs the project's forecast and returns the key the weather service was sent.</summary>
    private async Task<string?> RunAsync(HttpClient api, string project)
    {
        var before = _weather.Received.Count;
        var result = await ExecuteAsync(api, project);
        Assert.True((bool)result["success"]!, result.ToJsonString());
        return _weather.Received.Skip(before).Single(r => r.Path == "/forecast").Header("X-Api-Key");
    }

    private static async Task<JsonNode> ExecuteAsync(HttpClient api, string project)
    {
        var response = await api.PostAsJsonAsync($"/api/workflows/execute?project={project}", new { workflow_id = "forecast" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private async Task<string> NewProjectAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var (id, error) = await scope.ServiceProvider.GetRequiredService<ProjectStore>().CreateAsync(name, CancellationToken.None);
        Assert.Null(error);
        return id!;
    }
}
