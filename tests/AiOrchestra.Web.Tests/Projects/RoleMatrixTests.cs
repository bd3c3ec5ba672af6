using System.Net;
using System.Reflection;
using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Tokens;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Projects;

/// <summary>
/// Every page and every API route against every role of a shared project: allowed, or refused with a 403 naming the
/// role needed. Each route is listed here with what it needs, so a new one fails these tests until it is listed.
/// </summary>
public sealed class RoleMatrixTests(ProjectsHost host) : IClassFixture<ProjectsHost>
{
    private const ProjectRole Viewer = ProjectRole.Viewer;
    private const ProjectRole Operator = ProjectRole.Operator;
    private const ProjectRole Editor = ProjectRole.Editor;
    private const ProjectRole Admin = ProjectRole.Admin;

    /// <summary>Each page with the role its GET needs and the role its forms (POST) need; null: not a project's page.</summary>
    private static readonly Dictionary<string, (ProjectRole View, ProjectRole Change)?> Pages = new()
    {
        ["/Index"] = (Viewer, Editor),
        ["/Workflows/Index"] = (Viewer, Editor),
        ["/Workflows/Edit"] = (Viewer, Editor),
        ["/Workflows/Delete"] = (Viewer, Editor),
        ["/Workflows/Diff"] = (Viewer, Editor),
        ["/Workflows/Pins"] = (Viewer, Editor),
        ["/Workflows/Move"] = (Editor, Editor),
        ["/Execute/Index"] = (Viewer, Operator),
        ["/Prompts/Index"] = (Viewer, Editor),
        ["/Prompts/Edit"] = (Viewer, Editor),
        ["/Prompts/Delete"] = (Viewer, Editor),
        ["/Prompts/Diff"] = (Viewer, Editor),
        ["/Logs/Index"] = (Viewer, Operator),
        ["/Logs/Run"] = (Viewer, Operator),
        ["/Logs/Compare"] = (Viewer, Operator),
        ["/Settings/Index"] = (Admin, Admin),
        ["/Settings/Alerts"] = (Admin, Admin),
        ["/Settings/Retention"] = (Admin, Admin),
        ["/Settings/GmailCallback"] = (Admin, Admin),
        ["/Projects/Members"] = (Admin, Admin),
        // the user's own pages, the administrators' pages and the switch are not a project's
        ["/Projects/Index"] = null,
        ["/Projects/Switch"] = null,
        ["/Users/Index"] = null,
        ["/Users/Audit"] = null,
        ["/Account/Login"] = null,
        ["/Account/Logout"] = null,
        ["/Account/Setup"] = null,
        ["/Account/Password"] = null,
        ["/Account/Tokens"] = null,
        ["/Account/Invitation"] = null,
        ["/Error"] = null,
    };

    /// <summary>Handlers that need another role than their page's forms.</summary>
    private static readonly Dictionary<string, ProjectRole> Handlers = new()
    {
        ["/Workflows/Pins?handler=RunStep"] = Operator,
        ["/Workflows/Pins?handler=Test"] = Operator,
    };

    /// <summary>Forms of a project's page that only instance administrators may use (they change the whole instance).</summary>
    private static readonly HashSet<string> AdministratorsOnly = ["/Settings/Index?handler=UploadConnector", "/Settings/Index?handler=InstanceDefaults"];

    private static readonly ProjectRole[] Roles = [Viewer, Operator, Editor, Admin];

    [Fact]
    public async Task Every_page_and_form_of_a_project_is_allowed_or_refused_by_role_with_the_role_it_needs()
    {
        var pages = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Page: e.Metadata.GetMetadata<PageActionDescriptor>(), e.RoutePattern.RawText))
            .Where(p => p.Page is not null)
            .GroupBy(p => p.Page!.ViewEnginePath)
            .ToDictionary(g => g.Key, g => "/" + g.OrderByDescending(p => p.RawText!.Length).First().RawText!.Replace("{id?}", "x").Replace("{id}", "x").Replace("{code:int?}", "404"));
        var unlisted = pages.Keys.Where(p => !Pages.ContainsKey(p)).ToList();
        Assert.True(unlisted.Count == 0, "pages without an expected role in this test: " + string.Join(", ", unlisted));

        var project = await host.NewProjectAsync(ProjectsHost.NewName("matrix"));
        var clients = new Dictionary<ProjectRole, HttpClient>();
        foreach (var role in Roles)
        {
            clients[role] = await host.SignedInAsync(await host.MemberAsync(project, role, role.Name()));
        }

        foreach (var (path, needs) in Pages.Where(p => p.Value is not null && pages.ContainsKey(p.Key)))
        {
            var url = pages[path];
            var model = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Select(e => e.Metadata.GetMetadata<CompiledPageActionDescriptor>()).First(d => d?.ViewEnginePath == path)!.ModelTypeInfo!;
            var forms = model.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.Name.StartsWith("OnPost", StringComparison.Ordinal))
                .Select(m => m.Name["OnPost".Length..].Replace("Async", "", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            foreach (var role in Roles)
            {
                await AssertAsync(clients[role], "GET", $"{url}?project={project}", role, needs!.Value.View);
                foreach (var handler in forms)
                {
                    var target = handler.Length == 0 ? url : $"{url}?handler={handler}";
                    if (AdministratorsOnly.Contains(target.Replace(url, path)))
                    {
                        var refused = await clients[role].PostFormAsync($"{target}&project={project}", [], "/Account/Tokens");
                        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                        continue;
                    }
                    var needed = Handlers.TryGetValue(target.Replace(url, path), out var own) ? own : needs.Value.Change;
                    await AssertAsync(clients[role], "POST", target + (handler.Length == 0 ? "?" : "&") + $"project={project}", role, needed);
                }
            }
        }
        // instance administrators' pages stay theirs, whatever the role in a project
        foreach (var role in Roles)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await clients[role].GetAsync($"/Users?project={project}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clients[role].GetAsync("/Projects")).StatusCode);
        }
    }

    [Fact]
    public async Task Every_api_route_is_allowed_or_refused_by_role_with_403_naming_the_role()
    {
        var project = await host.NewProjectAsync(ProjectsHost.NewName("api-matrix"));
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Pattern: "/" + e.RoutePattern.RawText!.Trim('/')))
            .Where(r => (r.Pattern.StartsWith("/api", StringComparison.Ordinal) || r.Pattern.StartsWith("/mcp", StringComparison.Ordinal))
                        && r.Pattern != "/api/auth/login" && !r.Pattern.StartsWith("/api/docs", StringComparison.Ordinal))
            .SelectMany(r => (r.Endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {r.Pattern}"))
            .ToHashSet();
        // the same list as the every-route scope test: a route's scope says which role it needs
        var unlisted = routes.Where(r => !PersonalTokenTests.Scopes.ContainsKey(r)).ToList();
        Assert.True(unlisted.Count == 0, "routes without an expected scope: " + string.Join(", ", unlisted));
        var clients = new Dictionary<ProjectRole, HttpClient>();
        foreach (var role in Roles)
        {
            clients[role] = await host.ApiAsync(await host.MemberAsync(project, role, "api-" + role.Name()));
        }
        foreach (var (route, scope) in PersonalTokenTests.Scopes.Where(r => routes.Contains(r.Key)))
        {
            var (method, pattern) = (route.Split(' ')[0], route.Split(' ')[1]);
            var needed = ProjectRequirement.RoleFor(scope)!.Value;
            var path = string.Join('/', pattern.Split('/').Select(part => part.StartsWith('{') ? "x" : part)) + $"?project={project}";
            foreach (var role in Roles)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT")
                {
                    request.Content = ApiFactory.Json("{}");
                }
                using var response = await clients[role].SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                if (role < needed)
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route} as {role.Name()} answered {(int)response.StatusCode}, not 403");
                    var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
                    Assert.Contains($"needs the '{needed.Name()}' role", problem["detail"]!.GetValue<string>());
                }
                else
                {
                    Assert.True(response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized),
                        $"{route} as {role.Name()} answered {(int)response.StatusCode}");
                }
            }
        }
    }

    [Fact]
    public async Task Another_project_is_not_found_on_pages_and_in_the_api()
    {
        var mine = await host.NewProjectAsync(ProjectsHost.NewName("mine"));
        var theirs = await host.NewProjectAsync(ProjectsHost.NewName("theirs"));
        var name = await host.MemberAsync(mine, Editor);

        var page = await host.SignedInAsync(name);
        Assert.Equal(HttpStatusCode.NotFound, (await page.GetAsync($"/Workflows?project={theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await page.GetAsync($"/Workflows?project={mine}")).StatusCode);
        using var api = await host.ApiAsync(name);
        await (await api.GetAsync($"/api/workflows?project={theirs}")).ProblemAsync(HttpStatusCode.NotFound);
        // another user's personal project is theirs alone
        await (await api.GetAsync($"/api/workflows?project={await host.IdOfAsync(ProjectsHost.Root)}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/workflows?project={mine}")).StatusCode);
    }

    [Fact]
    public async Task A_project_admin_may_not_grant_the_admin_role_and_nothing_changes()
    {
        var project = await host.NewProjectAsync(ProjectsHost.NewName("grants"));
        var admin = await host.MemberAsync(project, Admin, "padmin");
        var newcomer = ProjectsHost.NewName("newcomer");
        await host.CreateUserAsync(newcomer);
        var client = await host.SignedInAsync(admin);

        var refused = await client.PostFormAsync($"/Projects/Members?handler=Set&project={project}", new() { ["UserName"] = newcomer, ["role"] = "admin" }, "/Account/Tokens");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Only an instance administrator may grant the &#x27;admin&#x27; role", await refused.Content.ReadAsStringAsync());
        Assert.DoesNotContain(await host.InScope<List<MemberRow>, ProjectStore>(s => s.MembersAsync(project, CancellationToken.None)), m => m.UserName == newcomer);

        var granted = await client.PostFormAsync($"/Projects/Members?handler=Set&project={project}", new() { ["UserName"] = newcomer, ["role"] = "editor" }, "/Account/Tokens");
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Contains(await host.InScope<List<MemberRow>, ProjectStore>(s => s.MembersAsync(project, CancellationToken.None)), m => m.UserName == newcomer && m.Role == Editor);
    }

    private static async Task AssertAsync(HttpClient client, string method, string url, ProjectRole role, ProjectRole needed)
    {
        using var response = method == "GET" ? await client.GetAsync(url) : await client.PostFormAsync(url, [], "/Account/Tokens");
        var body = await response.Content.ReadAsStringAsync();
        if (role < needed)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {url} as {role.Name()} answered {(int)response.StatusCode}, not 403");
            // the page says why: the role needed
            Assert.Contains($"needs the &#x27;{needed.Name()}&#x27; role", body);
        }
        else
        {
            Assert.True(response.StatusCode != HttpStatusCode.Forbidden, $"{method} {url} as {role.Name()} was refused: needs {needed.Name()}");
        }
    }
}
