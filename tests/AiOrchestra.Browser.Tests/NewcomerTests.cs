using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// A fake GitHub that holds each answer until the test lets it go, so the browser can be watched while the
/// Settings page waits on it; then it refuses the token (401).
/// </summary>
public sealed class HeldGitHub : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public HeldGitHub()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Url { get; }

    /// <summary>Completed by the test to let the held answers go.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        await Release.Task;
        var body = Encoding.UTF8.GetBytes("""{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}""");
        context.Response.StatusCode = 401;
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        Release.TrySetResult();
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

/// <summary>
/// What a newcomer meets in the first hour, in Chromium: pages that run under the Content-Security-Policy without a
/// single violation, a taken id refused beside its field, error pages with a way back, and Settings' actions that
/// show they are busy and put their errors beside their buttons.
/// </summary>
public sealed class NewcomerTests : IAsyncLifetime
{
    private readonly HeldGitHub _github = new();
    private readonly BrowserHost _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly string _screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public NewcomerTests() => _host = new BrowserHost(new Dictionary<string, string>
    {
        ["GitHub:BaseUrl"] = _github.Url,
        ["GitHub:Token"] = "ghp_browser-test-token",
    });

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_screenshots);
        (_playwright, _browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await _host.DisposeAsync();
        await _github.DisposeAsync();
    }

    private Task Shot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, name + ".png"), FullPage = true });

    /// <summary>A signed-in page that records every Content-Security-Policy violation and script error it meets.</summary>
    private async Task<(IPage Page, List<string> Problems)> SignedInPageAsync()
    {
        var page = await _host.NewPageAsync(_browser!);
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("status of 404", StringComparison.Ordinal))
            {
                lock (problems)
                {
                    problems.Add($"{page.Url}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (problems)
            {
                problems.Add($"{page.Url}: {error}");
            }
        };
        // the browser's own report of each blocked script, style or frame, whether or not it reaches the console
        await page.AddInitScriptAsync("""
            document.addEventListener('securitypolicyviolation', e =>
                console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
            """);
        await _host.SetUpAdministratorAsync(page);
        return (page, problems);
    }

    [Fact]
    public async Task Every_page_and_its_htmx_actions_run_under_the_policy_with_no_violation()
    {
        var (page, problems) = await SignedInPageAsync();

        foreach (var url in new[] { "/", "/Workflows", "/Workflows/Edit", "/Workflows/Edit/offline_release_notes", "/Prompts", "/Prompts/Edit/release_notes", "/Logs", "/Settings", "/Account/Password", "/no/such/page" })
        {
            var response = await page.GotoAsync(url);
            var policy = await response!.HeaderValueAsync("content-security-policy");
            Assert.True(policy?.Contains("script-src 'self';", StringComparison.Ordinal) == true, $"{url}: {policy}");
            Assert.Equal("nosniff", await response.HeaderValueAsync("x-content-type-options"));
        }

        // the API docs (Scalar builds its page with inline script and styles: their own, looser policy) load cleanly too
        var docs = await page.GotoAsync("/api/docs");
        Assert.Contains("frame-ancestors 'none'", await docs!.HeaderValueAsync("content-security-policy"));
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // the step editor's htmx commands, the chooser's script, a live run over SSE, a prompt preview
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("csp_demo");
        await page.Locator("#cmd-add").ClickAsync();
        await Assertions.Expect(page.Locator("#s1-id")).ToBeVisibleAsync();
        await page.GotoAsync("/Execute");
        await page.Locator("#workflow").SelectOptionAsync("offline_release_notes");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Execute\\?workflow=offline_release_notes$"));
        await Shot(page, "execute-chooser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#bar-legend")).ToBeVisibleAsync();
        var barWidth = await page.Locator("#timeline svg.bar").First.EvaluateAsync<double>("bar => bar.querySelector('rect').getBoundingClientRect().width");
        Assert.True(barWidth > 0, "the duration bar is not drawn");
        await Shot(page, "run-legend");
        await page.GotoAsync("/Logs");
        await Shot(page, "logs-rows");
        await page.GotoAsync("/Prompts/Edit/release_notes");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview with these values" }).ClickAsync();
        await Assertions.Expect(page.Locator("#preview")).ToBeVisibleAsync();

        lock (problems)
        {
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }

    [Fact]
    public async Task A_new_prompt_with_a_taken_id_is_refused_beside_the_id_and_the_stored_one_is_kept()
    {
        var (page, _) = await SignedInPageAsync();
        await page.GotoAsync("/Prompts/Edit");
        await page.GetByLabel("Prompt id").FillAsync("release_notes");
        await page.GetByLabel("Template").FillAsync("Replaced text");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        var error = page.Locator("#prompt-id-error");
        await Assertions.Expect(error).ToBeVisibleAsync();
        await Assertions.Expect(error).ToContainTextAsync("already the id of your prompt 'Release notes'");
        // beside the field: right under the id input, above the next label
        var field = await page.Locator("#prompt-id").BoundingBoxAsync();
        var message = await error.BoundingBoxAsync();
        Assert.InRange(message!.Y - (field!.Y + field.Height), 0, 24);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Prompts/Edit$"));
        await Shot(page, "prompt-taken-id");

        await error.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#prompt-template")).Not.ToHaveValueAsync("Replaced text");
    }

    [Fact]
    public async Task A_missing_page_is_shown_in_the_layout_with_a_way_back()
    {
        var (page, problems) = await SignedInPageAsync();

        var response = await page.GotoAsync("/Workflows/Edit/no_such_workflow");

        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
        await Shot(page, "not-found");
        await page.GetByRole(AriaRole.Link, new() { Name = "Go to Home" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        lock (problems)
        {
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }

    [Fact]
    public async Task Settings_actions_show_they_are_busy_and_put_their_errors_beside_their_buttons()
    {
        var (page, problems) = await SignedInPageAsync();
        await page.GotoAsync("/Settings");
        var github = page.Locator("#integration-github");
        var busy = github.Locator(".htmx-indicator");
        await Assertions.Expect(busy).ToBeHiddenAsync();

        await github.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(busy).ToBeVisibleAsync();
        await Shot(page, "settings-testing");
        _github.Release.SetResult();

        var result = page.Locator("#test-github .field-error");
        await Assertions.Expect(result).ToContainTextAsync("Failed: GitHub answered 401");
        await Assertions.Expect(busy).ToBeHiddenAsync();
        Assert.Equal("rgb(180, 35, 24)", await result.EvaluateAsync<string>("e => getComputedStyle(e).color"));

        // Gmail has no client id here: the error appears under its button, not in a banner at the top
        var gmail = page.Locator("#integration-gmail");
        await gmail.GetByRole(AriaRole.Button, new() { Name = "Authorize with Google" }).ClickAsync();
        var refused = gmail.Locator("#authorize-gmail-result .field-error");
        await Assertions.Expect(refused).ToContainTextAsync("Gmail:ClientId");
        await Assertions.Expect(page.Locator(".notice")).ToHaveCountAsync(0);
        await Shot(page, "settings-errors");
        lock (problems)
        {
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }
}
