using System.Net;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Projects;

public sealed class ProjectsTests(ProjectsHost host) : IClassFixture<ProjectsHost>
{
    private static string Workflow(string id, string text = "hi") =>
        $$$"""{"workflow_id": "{{{id}}}", "name": "Hello", "steps": [{"step_id": "hello", "step_type": "template", "action": "render", "parameters": {"text": "{{{text}}}"}}]}""";

    [Fact]
    public async Task The_header_switches_the_project_every_page_works_in()
    {
        var shared = await host.NewProjectAsync(ProjectsHost.NewName("team"));
        var name = await host.MemberAsync(shared, ProjectRole.Editor, "switcher");
        using (var api = await host.ApiAsync(name))
        {
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsync($"/api/workflows?project={shared}", ApiFactory.Json(Workflow("team_flow")))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow("own_flow")))).StatusCode);
        }
        var client = await host.SignedInAsync(name);

        var personal = await client.GetDocumentAsync("/Workflows");
        Assert.Contains("own_flow", personal.Body!.TextContent);
        Assert.DoesNotContain("team_flow", personal.Body!.TextContent);
        Assert.Contains(personal.QuerySelectorAll("#project-switch option"), o => o.GetAttribute("value") == shared && o.TextContent.Contains("editor"));

        var switched = await client.PostFormAsync("/Projects/Switch", new() { ["project"] = shared }, "/Workflows");
        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        var team = await client.GetDocumentAsync("/Workflows");
        Assert.Contains("team_flow", team.Body!.TextContent);
        Assert.DoesNotContain("own_flow", team.Body!.TextContent);
        Assert.Equal(shared, team.QuerySelector("#project-switch option[selected]")!.GetAttribute("value"));
        // an editor is no admin there: no Settings in the header, and the page refuses
        Assert.Null(team.QuerySelector("nav a[href='/Settings']"));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Settings")).StatusCode);

        // a project that is not theirs cannot be chosen
        var other = await host.NewProjectAsync(ProjectsHost.NewName("other"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostFormAsync("/Projects/Switch", new() { ["project"] = other }, "/Workflows")).StatusCode);
    }

    [Fact]
    public async Task Moving_a_workflow_to_another_project_keeps_its_versions_and_runs()
    {
        var shared = await host.NewProjectAsync(ProjectsHost.NewName("dest"));
        var name = await host.MemberAsync(shared, ProjectRole.Editor, "mover");
        using var api = await host.ApiAsync(name);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow("moving")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsync("/api/workflows/moving", ApiFactory.Json(Workflow("moving", "hello")))).StatusCode);
        var run = await (await api.PostAsync("/api/workflows/execute", ApiFactory.Json("""{"workflow_id": "moving", "variables": {}}"""))).JsonAsync();
        var runId = run["run_id"]!.GetValue<string>();
        Assert.True(run["success"]!.GetValue<bool>(), run.ToJsonString());

        var client = await host.SignedInAsync(name);
        var moved = await client.PostFormAsync("/Workflows/Move/moving", new() { ["project"] = shared });
        Assert.Equal(HttpStatusCode.Redirect, moved.StatusCode);

        // gone from the personal project, with its runs
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/workflows/moving")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/runs/{runId}")).StatusCode);
        // in the shared one, with both versions and the run
        var versions = await (await api.GetAsync($"/api/workflows/moving/versions?project={shared}")).JsonAsync();
        Assert.Equal(2, versions.AsArray().Count);
        var found = await (await api.GetAsync($"/api/runs/{runId}?project={shared}")).JsonAsync();
        Assert.Equal("succeeded", found["status"]!.GetValue<string>());
        // Home's counts moved with the run
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(1, await db.RunCounts.Where(c => c.OwnerId == shared).SumAsync(c => c.Runs));
        Assert.Equal(0, await db.RunCounts.Where(c => c.OwnerId == db.Users.Where(u => u.UserName == name).Select(u => u.Id).First()).SumAsync(c => (long?)c.Runs) ?? 0);
    }

    [Fact]
    public async Task A_workflow_is_not_moved_into_a_project_where_its_id_is_taken_or_the_user_is_no_editor()
    {
        var shared = await host.NewProjectAsync(ProjectsHost.NewName("taken"));
        var viewerOf = await host.NewProjectAsync(ProjectsHost.NewName("viewed"));
        var name = await host.MemberAsync(shared, ProjectRole.Editor, "blocked");
        var rootId = await host.IdOfAsync(ProjectsHost.Root);
        Assert.Null(await host.InScope<string?, ProjectStore>(s => s.SetMemberAsync(rootId, viewerOf, name, "viewer", CancellationToken.None)));
        using var api = await host.ApiAsync(name);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow("twin")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync($"/api/workflows?project={shared}", ApiFactory.Json(Workflow("twin")))).StatusCode);
        var client = await host.SignedInAsync(name);

        var taken = await client.PostFormAsync("/Workflows/Move/twin", new() { ["project"] = shared });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("has a workflow &#x27;twin&#x27; already", await taken.Content.ReadAsStringAsync());
        var viewer = await client.PostFormAsync("/Workflows/Move/twin", new() { ["project"] = viewerOf });
        Assert.Equal(HttpStatusCode.BadRequest, viewer.StatusCode);
        Assert.Contains("needs the &#x27;editor&#x27; role", await viewer.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/workflows/twin")).StatusCode);
    }

    [Fact]
    public async Task A_token_made_for_a_project_works_there_only()
    {
        var shared = await host.NewProjectAsync(ProjectsHost.NewName("tokened"));
        var name = await host.MemberAsync(shared, ProjectRole.Operator, "scripted");
        var client = await host.SignedInAsync(name);
        var made = await client.PostFormAsync("/Account/Tokens?handler=Create",
            new() { ["Name"] = "ci", ["Scopes"] = "read", ["Days"] = "7", ["Project"] = shared });
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var token = HtmlClient.Parse(await made.Content.ReadAsStringAsync()).QuerySelectorAll("input[readonly]")
            .Select(i => i.GetAttribute("value")).First(v => v?.StartsWith("aio_", StringComparison.Ordinal) == true)!;
        // an operator may not make workflows: the administrator (admin of every shared project) does
        using (var api = await host.ApiAsync(ProjectsHost.Root))
        {
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsync($"/api/workflows?project={shared}", ApiFactory.Json(Workflow("only_there")))).StatusCode);
        }
        using var scripted = host.CreateClient();
        scripted.DefaultRequestHeaders.Authorization = new("Bearer", token);

        var list = await (await scripted.GetAsync("/api/workflows")).JsonAsync();
        Assert.Contains(list.AsArray(), w => w!["workflow_id"]!.GetValue<string>() == "only_there");
        var elsewhere = await (await scripted.GetAsync($"/api/workflows?project={await host.IdOfAsync(name)}")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("works in one project only", elsewhere["detail"]!.GetValue<string>());
    }
}
