using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// Run, prompt save, re-run and cancel post through htmx (HX-Redirect to the next page, errors as the form's fragment,
/// cancel answered in place) and still work as plain form posts (a redirect, the whole page).
/// </summary>
public sealed class HtmxFormTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public HtmxFormTests(DashboardHost host) => _host = host;

    private async Task<HttpClient> NewUserWithWorkflowAsync(string workflowId)
    {
        var name = "htmx-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = workflowId,
            ["Form.Variables"] = "{\"who\": \"world\"}",
            ["Form.Steps[0].StepId"] = "greet",
            ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "Hi {{who}}",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        return client;
    }

    private static void AssertVariesOnHtmx(HttpResponseMessage response) => Assert.Contains("HX-Request", response.Headers.Vary);

    private static string HxRedirect(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        AssertVariesOnHtmx(response);
        return Assert.Single(response.Headers.GetValues("HX-Redirect"));
    }

    private static string Redirect(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.False(response.Headers.Contains("HX-Redirect"));
        AssertVariesOnHtmx(response);
        return response.Headers.Location!.OriginalString;
    }

    [Fact]
    public async Task Run_answers_htmx_with_HX_Redirect_and_a_plain_post_with_a_redirect_to_the_run()
    {
        var client = await NewUserWithWorkflowAsync("hx_run");
        const string Url = "/Execute?workflow=hx_run";

        var viaHtmx = HxRedirect(await client.PostHtmxAsync(Url, new() { ["Inputs[who]"] = "Ada" }, Url));
        Assert.Matches("^/Logs/[0-9a-f-]{36}$", viaHtmx);
        var plain = Redirect(await client.PostFormAsync(Url, new() { ["Inputs[who]"] = "Ada" }, Url));
        Assert.Matches("^/Logs/[0-9a-f-]{36}$", plain);
        Assert.NotEqual(viaHtmx, plain);

        var form = await client.GetDocumentAsync(Url);
        Assert.Equal(Url, form.QuerySelector("#run-form form")!.GetAttribute("hx-post"));
    }

    [Fact]
    public async Task A_refused_run_swaps_the_form_with_its_errors_for_htmx_and_shows_the_page_otherwise()
    {
        var client = await NewUserWithWorkflowAsync("hx_refused");
        const string Url = "/Execute?workflow=hx_refused";
        var fields = new Dictionary<string, string> { ["Inputs[who]"] = "Ada", ["Inputs[whom]"] = "Grace" };

        var fragment = await client.PostHtmxAsync(Url, fields, Url);
        Assert.Equal(HttpStatusCode.OK, fragment.StatusCode);
        AssertVariesOnHtmx(fragment);
        var html = await fragment.Content.ReadAsStringAsync();
        Assert.StartsWith("<div id=\"run-form\">", html.TrimStart());
        Assert.DoesNotContain("<html", html);
        var document = HtmlClient.Parse(html);
        Assert.Contains("has no variable \"whom\"", document.QuerySelector("#run-form .errors")!.TextContent);
        Assert.Equal("Ada", document.GetElementById("input-who")!.TextContent);

        var page = await client.PostFormAsync(Url, fields, Url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertVariesOnHtmx(page);
        var whole = HtmlClient.Parse(await page.Content.ReadAsStringAsync());
        Assert.NotNull(whole.QuerySelector("header.top"));
        Assert.Contains("has no variable \"whom\"", whole.QuerySelector("#run-form .errors")!.TextContent);
    }

    [Fact]
    public async Task Prompt_save_answers_htmx_with_HX_Redirect_and_errors_as_the_form_fragment()
    {
        var client = await NewUserWithWorkflowAsync("hx_prompt_owner");

        var saved = HxRedirect(await client.PostHtmxAsync("/Prompts/Edit", new() { ["TemplateId"] = "hx_hello", ["Template"] = "Hello {{who}}" }));
        Assert.Equal("/Prompts/Edit/hx_hello?saved=true", saved);
        Assert.Equal("/Prompts/Edit/hx_plain?saved=true",
            Redirect(await client.PostFormAsync("/Prompts/Edit", new() { ["TemplateId"] = "hx_plain", ["Template"] = "Hi" })));

        var refused = await client.PostHtmxAsync("/Prompts/Edit", new() { ["TemplateId"] = "hx_broken", ["Template"] = "Hello {{who" });
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        AssertVariesOnHtmx(refused);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.StartsWith("<div id=\"prompt-editor\">", html.TrimStart());
        Assert.DoesNotContain("<html", html);
        var fragment = HtmlClient.Parse(html);
        Assert.NotNull(fragment.QuerySelector("#prompt-editor .errors"));
        Assert.Equal("Hello {{who", fragment.GetElementById("prompt-template")!.TextContent);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Prompts/Edit/hx_broken")).StatusCode);

        var page = await client.PostFormAsync("/Prompts/Edit", new() { ["TemplateId"] = "hx_broken", ["Template"] = "Hello {{who" });
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertVariesOnHtmx(page);
        var whole = HtmlClient.Parse(await page.Content.ReadAsStringAsync());
        Assert.NotNull(whole.QuerySelector("header.top"));
        Assert.NotNull(whole.QuerySelector("#prompt-editor .errors"));
    }

    [Fact]
    public async Task Rerun_and_cancel_answer_htmx_in_place_and_a_plain_post_with_a_redirect()
    {
        var client = await NewUserWithWorkflowAsync("hx_rerun");
        const string Url = "/Execute?workflow=hx_rerun";
        var runUrl = Redirect(await client.PostFormAsync(Url, new() { ["Inputs[who]"] = "Ada" }, Url));
        await client.GetStringAsync(runUrl.Replace("/Logs/", "/runs/") + "/live");

        var again = HxRedirect(await client.PostHtmxAsync(runUrl + "?handler=Rerun", [], runUrl));
        Assert.Matches("^/Logs/[0-9a-f-]{36}$", again);
        Assert.NotEqual(runUrl, again);
        Assert.NotEqual(runUrl, Redirect(await client.PostFormAsync(runUrl + "?handler=Rerun", [], runUrl)));

        // the run has finished: htmx gets an empty cancel area back (no button), a plain post the run's page
        var cancel = await client.PostHtmxAsync(runUrl + "?handler=Cancel", [], runUrl);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        AssertVariesOnHtmx(cancel);
        Assert.Equal("<div id=\"run-cancel\"></div>", await cancel.Content.ReadAsStringAsync());
        Assert.Equal(runUrl, Redirect(await client.PostFormAsync(runUrl + "?handler=Cancel", [], runUrl)));

        var page = await client.GetDocumentAsync(again);
        Assert.Equal(again + "?handler=Rerun", page.QuerySelector("form[action$='handler=Rerun']")!.GetAttribute("hx-post"));
    }
}
