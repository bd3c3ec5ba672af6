using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// The dashboard in Debian's Chromium (never a downloaded browser): first-run setup, the step editor, a live run,
/// the logs and a prompt preview, with a screenshot of each main page in the test output folder.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private readonly BrowserHost _host = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly string _screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

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
    }

    private Task Shot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, name + ".png"), FullPage = true });

    [Fact]
    public async Task Setup_edit_run_live_logs_and_prompt_preview()
    {
        var page = await _host.NewPageAsync(_browser!);
        var expect = Assertions.Expect(page);

        // first run: the one-time administrator page
        await page.GotoAsync("/");
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Setup"));
        await page.GetByLabel("User name").FillAsync("admin");
        await page.Locator("#password").FillAsync("Password123");
        await page.GetByLabel("Password again").FillAsync("Password123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the administrator" }).ClickAsync();
        await expect.ToHaveURLAsync(_host.BaseAddress.TrimEnd('/') + "/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Shot(page, "home");

        // the step editor: a gate step, then a template step added with the editor
        await page.GotoAsync("/Workflows");
        await Shot(page, "workflows");
        await page.GetByRole(AriaRole.Link, new() { Name = "New workflow" }).ClickAsync();
        await page.GetByLabel("Workflow id").FillAsync("live_demo");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Live demo");
        await page.Locator("#s0-id").FillAsync("first");
        await page.Locator("#s0-type").SelectOptionAsync("gate");
        await Assertions.Expect(page.Locator("#s0-p-name")).ToBeVisibleAsync();
        await page.Locator("#s0-p-name").FillAsync("one");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a step" }).ClickAsync();
        await Assertions.Expect(page.Locator("#s1-id")).ToBeVisibleAsync();
        await page.Locator("#s1-id").FillAsync("second");

        // saving with a required field empty shows the error beside that field
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        var fieldError = page.Locator("#s1-p-text-error");
        await Assertions.Expect(fieldError).ToBeVisibleAsync();
        await Assertions.Expect(fieldError).ToHaveAttributeAsync("data-path", "steps[1].parameters.text");
        await Shot(page, "workflow-validation");

        await page.Locator("#s1-p-text").FillAsync("Done: {{first_output}}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Workflows/Edit/live_demo"));
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();
        await Shot(page, "workflow-edit");

        // run it and watch it live
        await page.GetByRole(AriaRole.Link, new() { Name = "Run", Exact = true }).ClickAsync();
        await Shot(page, "execute");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#step-first")).ToHaveAttributeAsync("data-status", "running");
        await Assertions.Expect(page.Locator("#step-first-delta")).ToHaveTextAsync("waiting on one");
        await Assertions.Expect(page.Locator("#step-second")).ToHaveAttributeAsync("data-status", "pending");
        await page.EvaluateAsync("() => window.stillThisPage = true");
        await Shot(page, "run-live");

        _host.Gates.Gate("one").SetResult();
        await Assertions.Expect(page.Locator("#step-first")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("#step-second")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#step-second .output strong")).ToHaveTextAsync("one");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true"), "the page reloaded instead of updating live");
        await Shot(page, "run-finished");
        var runUrl = page.Url;

        // the run in Logs
        await page.GotoAsync("/Logs");
        var row = page.Locator("tbody tr", new() { HasText = "live_demo" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("succeeded");
        // each row says which run it is in a person's words: the workflow's name, what started it, when, for how long
        await Assertions.Expect(row.Locator("td[data-label=Origin]")).ToHaveTextAsync("manual");
        await Assertions.Expect(row.Locator("td[data-label=Started] time")).ToHaveAttributeAsync("datetime", new System.Text.RegularExpressions.Regex("^20\\d\\d-"));
        await Assertions.Expect(row.Locator("td[data-label=Duration]")).Not.ToBeEmptyAsync();
        await Shot(page, "logs");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await expect.ToHaveURLAsync(runUrl);

        // a prompt, its variables and its preview
        await page.GotoAsync("/Prompts/Edit");
        await page.GetByLabel("Prompt id").FillAsync("welcome");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Welcome");
        await page.GetByLabel("Template").FillAsync("## Hello {{person}}\n\nWelcome to **{{place}}**.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Prompts/Edit/welcome"));
        await Assertions.Expect(page.Locator("#detected-variables")).ToHaveTextAsync("person, place");
        await page.GetByLabel("Sample value for person").FillAsync("Ada <b>Lovelace</b>");
        await page.GetByLabel("Sample value for place").FillAsync("the lab");
        // the preview button posts the preview only: the form around it (which saves through htmx) stays unsent
        var posts = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
            {
                lock (posts)
                {
                    posts.Add(new Uri(request.Url).PathAndQuery);
                }
            }
        };
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview with these values" }).ClickAsync();
        await Assertions.Expect(page.Locator("#preview h2")).ToHaveTextAsync("Hello Ada <b>Lovelace</b>");
        await Assertions.Expect(page.Locator("#preview strong")).ToHaveTextAsync("the lab");
        lock (posts)
        {
            Assert.Equal(["/Prompts/Edit/welcome?handler=Preview"], posts);
        }
        await Shot(page, "prompt-preview");
        await page.GotoAsync("/Prompts");
        await Shot(page, "prompts");
        await page.GotoAsync("/Settings");
        await Shot(page, "settings");
    }

    private async Task<IPage> SignedInPageAsync()
    {
        var page = await _host.NewPageAsync(_browser!);
        await _host.SetUpAdministratorAsync(page);
        return page;
    }

    private static Task<string> FocusedId(IPage page) => page.EvaluateAsync<string>("() => document.activeElement ? document.activeElement.id : ''");

    private static async Task ExpectFocus(IPage page, string id)
    {
        await Assertions.Expect(page.Locator("#" + id)).ToBeFocusedAsync();
        Assert.Equal(id, await FocusedId(page));
    }

    [Fact]
    public async Task The_step_editor_keeps_keyboard_focus_through_its_commands()
    {
        var page = await SignedInPageAsync();
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("focus_demo");

        // Add a step: the new step's id takes the focus, ready to type
        await page.Locator("#cmd-add").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#s1-id")).ToBeVisibleAsync();
        await ExpectFocus(page, "s1-id");
        await page.Locator("#s1-id").FillAsync("second");

        // ↑ on the second step: the focus follows the step to the top (where ↓ is its enabled button)
        await page.Locator("#cmd-up-1").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#s0-id")).ToHaveValueAsync("second");
        await ExpectFocus(page, "cmd-down-0");

        // ↓ back down with the keyboard: the focus follows again
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#s1-id")).ToHaveValueAsync("second");
        await ExpectFocus(page, "cmd-up-1");

        // changing the type with the keyboard redraws the fields and leaves the focus on the type
        await page.Locator("#s1-type").FocusAsync();
        await page.Locator("#s1-type").SelectOptionAsync("http");
        await Assertions.Expect(page.Locator("#s1-p-url")).ToBeVisibleAsync();
        await ExpectFocus(page, "s1-type");

        // Remove: the focus lands on the remaining step's Remove button, then on Add a step when none is left
        await page.Locator("#cmd-remove-1").ClickAsync();
        await Assertions.Expect(page.Locator("li.step-editor")).ToHaveCountAsync(1);
        await ExpectFocus(page, "cmd-remove-0");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("li.step-editor")).ToHaveCountAsync(0);
        await ExpectFocus(page, "cmd-add");
    }

    [Fact]
    public async Task Steps_reorder_by_drag_and_drop_and_the_palette_inserts_by_drag_or_keyboard()
    {
        var page = await SignedInPageAsync();
        // tall enough that every step and the palette are in view: a drag happens where the pointer can reach
        await page.SetViewportSizeAsync(1280, 3000);
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("drag_demo");
        // a new workflow starts with one step
        await page.Locator("#s0-id").FillAsync("first");
        await page.Locator("#cmd-add").ClickAsync();
        await page.Locator("#s1-id").FillAsync("second");
        await page.Locator("#cmd-add").ClickAsync();
        await page.Locator("#s2-id").FillAsync("third");

        // drag the third step by its handle above the first: the editor is redrawn in the new order
        await Drag(page, page.Locator("#editor-step-2 .drag-handle"), page.Locator("#editor-step-0 .step-bar"), above: true);
        await Assertions.Expect(page.Locator("#s0-id")).ToHaveValueAsync("third");
        await Assertions.Expect(page.Locator("#s1-id")).ToHaveValueAsync("first");
        await Assertions.Expect(page.Locator("#s2-id")).ToHaveValueAsync("second");

        // drag the http type from the palette between the first and second steps
        await Drag(page, page.Locator("[data-palette] li[data-step-type='http']"), page.Locator("#editor-step-1 .step-bar"), above: true);
        await Assertions.Expect(page.Locator("li.step-editor")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("#s1-type")).ToHaveValueAsync("http");
        await Assertions.Expect(page.Locator("#s1-p-url")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#s2-id")).ToHaveValueAsync("first");

        // the keyboard path: choose a type and a place, press Insert; the new step's id takes the focus
        await page.Locator("#palette-type").SelectOptionAsync("template");
        await page.Locator("#palette-at").SelectOptionAsync("0");
        await page.Locator("#cmd-insert").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("li.step-editor")).ToHaveCountAsync(5);
        await ExpectFocus(page, "s0-id");
        await Assertions.Expect(page.Locator("#s1-id")).ToHaveValueAsync("third");
        await Shot(page, "visual-editor");
    }

    /// <summary>A pointer drag in small moves with short pauses, as a person makes it (SortableJS follows pointer events and animates each swap).</summary>
    private static async Task Drag(IPage page, ILocator from, ILocator to, bool above)
    {
        var start = (await from.BoundingBoxAsync())!;
        var target = (await to.BoundingBoxAsync())!;
        var (x, y) = (start.X + start.Width / 2, start.Y + start.Height / 2);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.DownAsync();
        var endX = target.X + target.Width / 2;
        var endY = above ? target.Y + 2 : target.Y + target.Height - 2;
        const int moves = 30;
        for (var move = 1; move <= moves; move++)
        {
            await page.Mouse.MoveAsync(x + (endX - x) * move / moves, y + (endY - y) * move / moves);
            await page.WaitForTimeoutAsync(15);
        }
        await page.WaitForTimeoutAsync(200);
        await page.Mouse.UpAsync();
    }

    [Fact]
    public async Task On_a_phone_chart_labels_are_readable_and_log_cells_name_their_column()
    {
        var page = await SignedInPageAsync();
        await page.SetViewportSizeAsync(360, 740);
        await page.GotoAsync("/");
        var labelHeight = await page.EvaluateAsync<double>("() => document.querySelector('svg.chart text').getBoundingClientRect().height");
        Assert.True(labelHeight >= 9, $"chart labels are {labelHeight:0.0} px high on a phone");

        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("phone_demo");
        await page.Locator("#s0-p-text").FillAsync("hi");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();
        await page.GotoAsync("/Execute?workflow=phone_demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await page.GotoAsync("/Logs");
        var label = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('tbody td:nth-child(2)'), '::before').content");
        Assert.Equal("\"Status: \"", label);
        await Shot(page, "logs-phone");
    }

    [Fact]
    public async Task The_workflow_search_puts_its_query_in_the_address_so_a_reload_keeps_it()
    {
        var page = await SignedInPageAsync();
        await page.GotoAsync("/Workflows");
        await page.Locator("#q").FillAsync("offline");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Workflows\\?q=offline$"));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#q")).ToHaveValueAsync("offline");
        await Assertions.Expect(page.Locator("#workflow-list")).ToContainTextAsync("offline_release_notes");
    }

    [Fact]
    public async Task Cancelling_a_running_run_from_its_page_turns_it_cancelled_live()
    {
        var page = await SignedInPageAsync();
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("cancel_demo");
        await page.Locator("#s0-id").FillAsync("hold");
        await page.Locator("#s0-type").SelectOptionAsync("gate");
        await Assertions.Expect(page.Locator("#s0-p-name")).ToBeVisibleAsync();
        await page.Locator("#s0-p-name").FillAsync("never-opened");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();

        // the run and cancel forms post through htmx (the HX-Request header), not as plain form posts
        var posts = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
            {
                lock (posts)
                {
                    posts.Add($"{new Uri(request.Url).PathAndQuery} htmx={request.Headers.ContainsKey("hx-request")}");
                }
            }
        };
        await page.GotoAsync("/Execute?workflow=cancel_demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#step-hold-delta")).ToHaveTextAsync("waiting on never-opened");
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("running");
        await page.EvaluateAsync("() => window.stillThisPage = true");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" }).ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("cancelled");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#run-cancel")).ToBeEmptyAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true"), "the page reloaded instead of updating in place");
        var runPath = new Uri(page.Url).AbsolutePath;
        lock (posts)
        {
            Assert.Equal(["/Execute?workflow=cancel_demo htmx=True", runPath + "?handler=Cancel htmx=True"], posts);
        }
        await Shot(page, "run-cancelled");
    }
}
