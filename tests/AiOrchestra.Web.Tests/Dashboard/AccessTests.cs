using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

public sealed class AccessTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public AccessTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task Every_page_but_login_setup_and_the_error_page_redirects_an_anonymous_visitor_to_login()
    {
        var client = _host.Anonymous();
        var pages = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null || e.RoutePattern.RawText == "/runs/{id}/live")
            .Select(e => e.RoutePattern.RawText!)
            .Distinct()
            .ToList();
        Assert.Contains("Workflows/Edit/{id?}", pages);

        // the error page tells anyone what went wrong (a 404 of a signed-out visitor too); it shows nothing of theirs.
        // The invitation page is for people without an account yet: it shows nothing without a valid link.
        foreach (var pattern in pages.Where(p => !p.StartsWith("Account/Login", StringComparison.Ordinal) && !p.StartsWith("Account/Setup", StringComparison.Ordinal)
                                                 && !p.StartsWith("Account/Invitation", StringComparison.Ordinal)
                                                 && !p.StartsWith("Error", StringComparison.Ordinal)))
        {
            var url = "/" + pattern.TrimStart('/').Replace("{id?}", "x").Replace("{id}", "x");
            var response = await client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{url} answered {response.StatusCode}");
            Assert.StartsWith("/Account/Login", response.Headers.Location!.PathAndQuery.Replace("http://localhost", ""));
        }
    }

    [Theory]
    [InlineData("POST", "/Logs/42?handler=Rerun", "http://localhost/Logs/42?tab=steps", "/Account/Login?ReturnUrl=%2FLogs%2F42%3Ftab%3Dsteps")]
    // a page of another site is no place to come back to
    [InlineData("GET", "/Workflows", "https://elsewhere.example/phish", "/Account/Login?ReturnUrl=%2F")]
    public async Task An_htmx_request_whose_login_expired_loads_the_login_page_whole_and_comes_back_to_the_page_it_was_on(
        string method, string url, string currentUrl, string expectedRedirect)
    {
        var client = _host.Anonymous();
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("HX-Current-URL", currentUrl);

        var response = await client.SendAsync(request);

        // not a 302: fetch would follow it and swap the login form into a corner of the page
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("HX-Request", response.Headers.Vary);
        Assert.Equal(expectedRedirect, Assert.Single(response.Headers.GetValues("HX-Redirect")));
    }

    [Fact]
    public async Task A_bearer_token_does_not_open_a_page()
    {
        var client = _host.Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "anything");
        var response = await client.GetAsync("/Workflows");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task Another_users_workflow_prompt_and_run_are_not_found()
    {
        var alice = await _host.CreateUserAsync("alice-" + Guid.NewGuid().ToString("N")[..6]);
        var bobName = "bob-" + Guid.NewGuid().ToString("N")[..6];
        await _host.CreateUserAsync(bobName);
        var workflow = new Workflow
        {
            WorkflowId = "private_flow",
            Name = "Alice's",
            Steps = [new WorkflowStep { StepId = "hello", StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = "hi" } }],
        };
        var saved = await _host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(alice, workflow, default));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
        await _host.InScope<PromptSaveResult, PromptStore>(s => s.SaveAsync(alice,
            new Engine.Prompts.PromptTemplate { TemplateId = "secret_prompt", Template = "Hi {{name}}" }, default));
        var run = await _host.Services.GetRequiredService<RunQueue>().EnqueueAsync(alice, "private_flow", new Dictionary<string, JsonNode?>(), default);

        var bob = await _host.SignedInAsync(bobName);
        foreach (var url in new[]
                 {
                     "/Workflows/Edit/private_flow", "/Workflows/Edit/private_flow?handler=Export", "/Workflows/Delete/private_flow",
                     "/Execute?workflow=private_flow", "/Prompts/Edit/secret_prompt", "/Prompts/Delete/secret_prompt",
                     $"/Logs/{run.RunId}", $"/Logs/{run.RunId}?handler=Download", $"/runs/{run.RunId}/live",
                 })
        {
            Assert.True((await bob.GetAsync(url)).StatusCode == HttpStatusCode.NotFound, url);
        }
        var delete = await bob.PostFormAsync("/Workflows/Delete/private_flow", [], formPage: "/Workflows");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.NotNull(await _host.InScope<StoredWorkflow?, WorkflowStore>(s => s.GetAsync(alice, "private_flow", default)));

        var list = await (await bob.GetAsync("/Workflows")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("private_flow", list);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_rejected()
    {
        var name = "carol-" + Guid.NewGuid().ToString("N")[..6];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var response = await client.PostAsync("/Prompts/Edit", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["TemplateId"] = "forged", ["Template"] = "x",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var prompts = await (await client.GetAsync("/Prompts")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("forged", prompts);
    }

    private static async Task<string?> LoginMessageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return HtmlClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelector("main [role=alert]")?.TextContent.Trim();
    }

    [Fact]
    public async Task Unknown_user_wrong_password_and_locked_account_get_the_same_login_message()
    {
        var name = "dave-" + Guid.NewGuid().ToString("N")[..6];
        await _host.CreateUserAsync(name);
        var client = _host.Anonymous();
        const string Expected = "Wrong user name or password. After 5 failed attempts an account is locked for 5 minutes.";

        var unknown = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = "nobody-" + name, ["Password"] = "wrong-password" });
        Assert.Equal(Expected, await LoginMessageAsync(unknown));
        for (var i = 0; i < 5; i++)
        {
            var wrong = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = "wrong-password" });
            Assert.Equal(Expected, await LoginMessageAsync(wrong));
        }

        // locked now: the right password is refused with the very same message
        var right = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = DashboardHost.Password });
        Assert.Equal(Expected, await LoginMessageAsync(right));
        Assert.False(right.Headers.Contains("Set-Cookie") && right.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("AiOrchestra.Auth=", StringComparison.Ordinal)));
        var locked = await _host.InScope<bool, Microsoft.AspNetCore.Identity.UserManager<Data.AppUser>>(async users =>
            await users.IsLockedOutAsync((await users.FindByNameAsync(name))!));
        Assert.True(locked);
    }

    [Fact]
    public async Task A_right_password_signs_in_and_clears_earlier_failures()
    {
        var name = "erin-" + Guid.NewGuid().ToString("N")[..6];
        await _host.CreateUserAsync(name);
        var client = _host.Anonymous();
        for (var i = 0; i < 4; i++)
        {
            await client.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = "wrong-password" });
        }
        var right = await client.PostFormAsync("/Account/Login?ReturnUrl=%2FLogs", new() { ["UserName"] = name, ["Password"] = DashboardHost.Password, ["ReturnUrl"] = "/Logs" }, "/Account/Login");
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/Logs", right.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Logs")).StatusCode);
        var failures = await _host.InScope<int, Microsoft.AspNetCore.Identity.UserManager<Data.AppUser>>(async users =>
            await users.GetAccessFailedCountAsync((await users.FindByNameAsync(name))!));
        Assert.Equal(0, failures);
    }
}
