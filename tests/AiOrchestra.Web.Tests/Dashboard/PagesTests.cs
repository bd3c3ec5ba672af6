using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

public sealed class PagesTests : IClassFixture<DashboardHost>
{
    private const string Script = "<script>alert('x')</script>";
    private const string Image = "<img src=x onerror=alert(1)>";
    private readonly DashboardHost _host;

    public PagesTests(DashboardHost host) => _host = host;

    private async Task<(string OwnerId, HttpClient Client)> NewUserAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await _host.CreateUserAsync(name);
        return (id, await _host.SignedInAsync(name));
    }

    private static Dictionary<string, string> TemplateWorkflow(string id, string name, string text) => new()
    {
        ["Form.WorkflowId"] = id,
        ["Form.Name"] = name,
        ["Form.Variables"] = "{\"who\": \"world\"}",
        ["Form.Steps[0].StepId"] = "greet",
        ["Form.Steps[0].StepType"] = "template",
        ["Form.Steps[0].Action"] = "render",
        ["Form.Steps[0].Parameters[text]"] = text,
        ["Command"] = "save",
    };

    [Fact]
    public async Task A_validation_error_is_shown_beside_the_field_it_concerns()
    {
        var (_, client) = await NewUserAsync();
        var fields = TemplateWorkflow("broken", "Broken", "");
        var response = await client.PostFormAsync("/Workflows/Edit", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        var error = page.QuerySelector("[data-path='steps[0].parameters.text']");
        Assert.NotNull(error);
        Assert.Equal("s0-p-text", error!.ParentElement!.QuerySelector("textarea")!.Id);
        Assert.Contains("s0-p-text-error", page.GetElementById("s0-p-text")!.GetAttribute("aria-describedby"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Workflows/Edit/broken")).StatusCode);
    }

    [Fact]
    public async Task The_error_list_names_a_step_by_its_card_number_and_keeps_the_path()
    {
        var (_, client) = await NewUserAsync();
        var fields = TemplateWorkflow("numbered", "Numbered", "fine");
        fields["Form.Steps[1].StepId"] = "second";
        fields["Form.Steps[1].StepType"] = "template";
        fields["Form.Steps[1].Action"] = "render";
        fields["Form.Steps[1].Parameters[text]"] = "";

        var page = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit", fields)).Content.ReadAsStringAsync());

        // the second card is headed "Step 2"; its error in the list says so, with the path the API and files use
        Assert.Equal("Step 2", page.QuerySelectorAll("li.step-editor .step-bar strong")[1].TextContent);
        var listed = Assert.Single(page.QuerySelectorAll(".errors li")).TextContent;
        Assert.StartsWith("Step 2 (steps[1].parameters.text): ", listed);
    }

    [Fact]
    public async Task The_runs_chart_labels_the_last_day_today()
    {
        var today = new DateOnly(2026, 11, 30);
        var days = Enumerable.Range(0, 14).Select(i => new RunsOnDay(today.AddDays(i - 13), i, i % 3)).ToList();

        var svg = HtmlClient.Parse($"<body>{await _host.RenderPartialAsync("/Pages/Shared/_RunsChart.cshtml", RunsChart.From(days))}</body>");

        var labels = svg.QuerySelectorAll("svg text").Select(t => t.TextContent).ToList();
        Assert.Equal("30 Nov", labels[^1]);
        Assert.Equal(7, labels.Count);
        // the last day: 13 runs of 13 fill the chart's height, its 1 failure drawn on top of the rest
        Assert.Equal("0", svg.QuerySelectorAll("rect.ok")[^1].GetAttribute("y"));
        Assert.Equal("9.2", svg.QuerySelectorAll("rect.failed")[^1].GetAttribute("height"));
        Assert.Equal("Nov 30: 13 runs, 1 failed", svg.QuerySelectorAll("rect.ok title")[^1].TextContent);
    }

    [Fact]
    public async Task Raw_json_with_an_unknown_field_shows_the_validator_errors_too()
    {
        var (_, client) = await NewUserAsync();
        const string Document = """
            {"workflow_id": "raw_json", "colour": "red", "steps": [
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "{{nope}}"}}]}
            """;

        var response = await client.PostFormAsync("/Workflows/Edit?handler=Json", new() { ["Json"] = Document }, "/Workflows/Edit");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = HtmlClient.Parse(await response.Content.ReadAsStringAsync()).Body!.TextContent;
        Assert.Contains("unknown field 'colour'", text);
        Assert.Contains("unknown variable 'nope'", text);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Workflows/Edit/raw_json")).StatusCode);
    }

    [Fact]
    public async Task The_step_editor_adds_moves_and_removes_steps_and_saves_a_new_version()
    {
        var (_, client) = await NewUserAsync();
        var fields = TemplateWorkflow("editing", "Editing", "one");
        fields["Command"] = "add";
        var added = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit", fields)).Content.ReadAsStringAsync());
        Assert.Equal(2, added.QuerySelectorAll("li.step-editor").Length);
        Assert.Equal("step2", added.GetElementById("s1-id")!.GetAttribute("value"));

        fields["Form.Steps[1].StepId"] = "second";
        fields["Form.Steps[1].StepType"] = "template";
        fields["Form.Steps[1].Action"] = "render";
        fields["Form.Steps[1].Parameters[text]"] = "two";
        fields["Command"] = "up-1";
        var moved = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit", fields)).Content.ReadAsStringAsync());
        Assert.Equal("second", moved.GetElementById("s0-id")!.GetAttribute("value"));
        Assert.Equal("greet", moved.GetElementById("s1-id")!.GetAttribute("value"));

        fields["Command"] = "save";
        var saved = await client.PostFormAsync("/Workflows/Edit", fields);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        fields["Command"] = "remove-1";
        var removed = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit/editing", fields, "/Workflows/Edit/editing")).Content.ReadAsStringAsync());
        Assert.Single(removed.QuerySelectorAll("li.step-editor"));
        fields.Remove("Form.Steps[1].StepId");
        fields.Remove("Form.Steps[1].StepType");
        fields.Remove("Form.Steps[1].Action");
        fields.Remove("Form.Steps[1].Parameters[text]");
        fields["Command"] = "save";
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit/editing", fields)).StatusCode);

        var edit = await client.GetDocumentAsync("/Workflows/Edit/editing");
        Assert.Equal(2, edit.QuerySelectorAll("section table tbody tr").Length);
        var export = await client.GetStringAsync("/Workflows/Edit/editing?handler=Export");
        Assert.Contains("\"workflow_id\": \"editing\"", export);
    }

    [Fact]
    public async Task Script_in_a_workflow_name_and_in_a_step_output_is_shown_as_text()
    {
        var (_, client) = await NewUserAsync();
        var saved = await client.PostFormAsync("/Workflows/Edit", TemplateWorkflow("xss", Script, $"Hello {Script} {Image} [click](javascript:alert(1))"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);

        var list = await client.GetDocumentAsync("/Workflows");
        Assert.Contains(Script, list.QuerySelector("#workflow-list")!.TextContent);
        Assert.Empty(list.QuerySelectorAll("main script"));

        var run = await client.PostFormAsync("/Execute?workflow=xss", new() { ["Inputs[who]"] = "you" }, "/Execute?workflow=xss");
        Assert.Equal(HttpStatusCode.Redirect, run.StatusCode);
        var runUrl = run.Headers.Location!.OriginalString;
        Assert.StartsWith("/Logs/", runUrl);
        var runId = runUrl["/Logs/".Length..];

        var stream = await client.GetStringAsync($"/runs/{runId}/live");
        Assert.Contains("event: done", stream);

        var detail = await client.GetDocumentAsync(runUrl);
        var output = detail.QuerySelector("#step-greet .output")!;
        Assert.Contains(Script, output.TextContent);
        Assert.Contains(Image, output.TextContent);
        Assert.Empty(detail.QuerySelectorAll("main script"));
        Assert.Empty(detail.QuerySelectorAll("main img"));
        Assert.Empty(detail.QuerySelectorAll("[onerror]"));
        Assert.DoesNotContain(detail.QuerySelectorAll("main a"), a => (a.GetAttribute("href") ?? "").Contains("javascript", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("succeeded", detail.GetElementById("run-status")!.TextContent);
    }

    [Fact]
    public async Task The_live_stream_replays_a_run_as_html_fragments_and_ends_with_done()
    {
        var (owner, client) = await NewUserAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", TemplateWorkflow("streamed", "Streamed", "Hi {{who}}"))).StatusCode);
        var queued = await _host.Services.GetRequiredService<RunQueue>().EnqueueAsync(owner, "streamed", new Dictionary<string, JsonNode?> { ["who"] = "Ada" }, default);

        var response = await client.GetAsync($"/runs/{queued.RunId}/live", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("id: 1", text);
        Assert.Contains("hx-swap-oob", text);
        Assert.Contains("id=\"step-greet\" class=\"step status-succeeded\"", text);
        Assert.DoesNotContain("event: message", text);
        Assert.EndsWith("event: done\ndata: succeeded\n\n", text.Replace("\r", ""));

        var reconnect = new HttpRequestMessage(HttpMethod.Get, $"/runs/{queued.RunId}/live");
        reconnect.Headers.Add("Last-Event-ID", "2");
        var rest = await (await client.SendAsync(reconnect)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("id: 1\n", rest.Replace("\r", ""));
        Assert.Contains("event: done", rest);
    }

    [Fact]
    public async Task A_run_downloads_as_its_json_log_and_runs_again_with_the_same_inputs()
    {
        var (_, client) = await NewUserAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", TemplateWorkflow("again", "Again", "Hi {{who}}"))).StatusCode);
        var first = await client.PostFormAsync("/Execute?workflow=again", new() { ["Inputs[who]"] = "Grace" }, "/Execute?workflow=again");
        var firstUrl = first.Headers.Location!.OriginalString;
        await client.GetStringAsync(firstUrl.Replace("/Logs/", "/runs/") + "/live");

        var again = await client.PostFormAsync(firstUrl + "?handler=Rerun", [], firstUrl);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        var secondUrl = again.Headers.Location!.OriginalString;
        Assert.NotEqual(firstUrl, secondUrl);
        await client.GetStringAsync(secondUrl.Replace("/Logs/", "/runs/") + "/live");

        var log = JsonNode.Parse(await client.GetStringAsync(secondUrl + "?handler=Download"))!;
        Assert.Equal("again", log["workflow_id"]!.GetValue<string>());
        Assert.Equal("success", log["status"]!.GetValue<string>());
        Assert.Equal("Hi Grace", log["steps"]![0]!["output"]!.GetValue<string>());
        Assert.Equal("rerun", log["origin"]!.GetValue<string>());
        var firstLog = JsonNode.Parse(await client.GetStringAsync(firstUrl + "?handler=Download"))!;
        Assert.Equal("manual", firstLog["origin"]!.GetValue<string>());
        var logs = await client.GetDocumentAsync("/Logs?workflow=again&status=succeeded");
        Assert.Equal(2, logs.QuerySelectorAll("tbody tr").Length);
    }

    [Fact]
    public async Task A_prompt_id_with_a_trailing_newline_is_refused_beside_the_field_not_saved()
    {
        var (_, client) = await NewUserAsync();

        var response = await client.PostFormAsync("/Prompts/Edit", new() { ["TemplateId"] = "nl_page\n", ["Template"] = "Hello" });

        // as every form of the dashboard: the form again, the error beside the field
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("not a valid id", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Prompts/Edit/nl_page")).StatusCode);
    }

    [Fact]
    public async Task Settings_says_the_encryption_keys_are_unencrypted_at_rest_and_how_to_encrypt_them()
    {
        var (_, client) = await NewUserAsync();

        var settings = await client.GetDocumentAsync("/Settings");

        var keys = settings.GetElementById("keys-at-rest")!.TextContent;
        Assert.Contains("stored unencrypted", keys);
        Assert.Contains("DataProtection__CertificatePath", keys);
    }

    [Fact]
    public async Task A_prompt_preview_lists_its_variables_and_renders_markdown_safely()
    {
        var (_, client) = await NewUserAsync();
        var saved = await client.PostFormAsync("/Prompts/Edit", new()
        {
            ["TemplateId"] = "greeting", ["Name"] = "Greeting", ["Template"] = "# Hello {{name}}\n\nAbout **{{topic}}**",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var edit = await client.GetDocumentAsync("/Prompts/Edit/greeting");
        Assert.Equal("name, topic", edit.GetElementById("detected-variables")!.TextContent);

        var preview = await client.PostFormAsync("/Prompts/Edit/greeting?handler=Preview", new()
        {
            ["TemplateId"] = "greeting", ["Template"] = "# Hello {{name}}\n\nAbout **{{topic}}**",
            ["Samples[name]"] = Script, ["Samples[topic]"] = "tests",
        }, "/Prompts/Edit/greeting");
        var page = HtmlClient.Parse(await preview.Content.ReadAsStringAsync());
        var rendered = page.GetElementById("preview")!;
        Assert.Equal("Hello " + Script, rendered.QuerySelector("h1")!.TextContent);
        Assert.Equal("tests", rendered.QuerySelector("strong")!.TextContent);
        Assert.Empty(rendered.QuerySelectorAll("script"));
    }

    [Fact]
    public async Task Home_shows_counts_and_a_chart_and_settings_mask_stored_secrets_and_show_each_server()
    {
        var (_, client) = await NewUserAsync();
        var home = await client.GetDocumentAsync("/");
        Assert.NotNull(home.QuerySelector("svg.chart"));
        Assert.Equal(14, home.QuerySelectorAll("svg.chart rect.ok").Length);

        var stored = await client.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = "Notion:Token", ["Value"] = "secret_notion_token_1234" }, "/Settings");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var html = await stored.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret_notion_token", html);
        var notion = HtmlClient.Parse(html).GetElementById("integration-notion")!;
        Assert.Contains("••••••••1234", notion.TextContent);
        // where the calls go is shown too: here Notion's own API, as nothing configures another server
        var server = notion.QuerySelectorAll("tr").Single(row => row.TextContent.Contains("Notion:BaseUrl", StringComparison.Ordinal));
        Assert.Contains("https://api.notion.com", server.TextContent);
        Assert.Contains("default", server.TextContent);
        // stored for the user's (personal) project: its runs read it, the instance's default is untouched
        Assert.Equal("secret_notion_token_1234", await ProjectValueAsync(client, "Notion:Token"));
        Assert.Null(_host.Services.GetRequiredService<AiOrchestra.Engine.Steps.Integrations.IntegrationSecrets>().FindInstance("Notion:Token"));
    }

    [Fact]
    public async Task Settings_lists_each_connector_with_its_credentials_and_stores_them_like_the_integrations()
    {
        var (_, client) = await NewUserAsync();
        var stored = await client.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = "Connectors:slack:token", ["Value"] = "xoxb-settings-test-5678" }, "/Settings");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var html = await stored.Content.ReadAsStringAsync();
        Assert.DoesNotContain("xoxb-settings-test", html);
        var slack = HtmlClient.Parse(html).GetElementById("integration-slack")!;
        Assert.Contains("Slack (connector slack.json)", slack.TextContent);
        Assert.Contains("Bot token", slack.TextContent);
        Assert.Contains("••••••••5678", slack.TextContent);
        Assert.Contains("https://slack.com/api", slack.TextContent);
        Assert.NotNull(HtmlClient.Parse(html).GetElementById("integration-linear"));
        Assert.Equal("xoxb-settings-test-5678", await ProjectValueAsync(client, "Connectors:slack:token"));
        // a key no integration or connector reads is refused
        var unknown = await client.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = "Connectors:nobody:token", ["Value"] = "x" }, "/Settings");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Theory]
    [InlineData("[x](javascript:alert(1))")]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x](&#106;avascript:alert(1))")]
    [InlineData("![x](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    public void Markdown_never_yields_script_or_unsafe_links(string text)
    {
        var html = ToText(new Markdown().Render(text));
        var document = HtmlClient.Parse(html);
        Assert.Empty(document.QuerySelectorAll("script, img[onerror], [onerror]"));
        Assert.DoesNotContain(document.QuerySelectorAll("[href], [src]"), e =>
            (e.GetAttribute("href") ?? e.GetAttribute("src") ?? "").Contains(':', StringComparison.Ordinal));
    }

    [Fact]
    public void Markdown_keeps_safe_links()
    {
        var html = ToText(new Markdown().Render("[docs](https://example.org/a?b=1) and <mailto:me@example.org>"));
        Assert.Contains("href=\"https://example.org/a?b=1\"", html);
        Assert.Contains("href=\"mailto:me@example.org\"", html);
    }

    private static string ToText(Microsoft.AspNetCore.Html.IHtmlContent content)
    {
        using var writer = new StringWriter();
        content.WriteTo(writer, System.Text.Encodings.Web.HtmlEncoder.Default);
        return writer.ToString();
    }

    /// <summary>The value the signed-in user's personal project's runs read for <paramref name="key"/>.</summary>
    private async Task<string?> ProjectValueAsync(HttpClient client, string key)
    {
        var page = await client.GetDocumentAsync("/Projects/Members");
        var userName = page.QuerySelector(".who")!.TextContent.Trim();
        var userId = await _host.InScope<string, Microsoft.AspNetCore.Identity.UserManager<AiOrchestra.Web.Data.AppUser>>(async users => (await users.FindByNameAsync(userName))!.Id);
        var scope = await _host.Services.GetRequiredService<AiOrchestra.Web.Projects.ProjectCredentials>().ScopeAsync(userId, CancellationToken.None);
        return scope.Own(key);
    }
}
