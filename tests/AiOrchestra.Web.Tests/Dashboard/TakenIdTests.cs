using System.Net;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>"New prompt" and "New workflow" never replace an item that has the id: they say so beside the id field.</summary>
public sealed class TakenIdTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private async Task<(string OwnerId, HttpClient Client)> NewUserAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await host.CreateUserAsync(name);
        return (id, await host.SignedInAsync(name));
    }

    private static Dictionary<string, string> Prompt(string id, string name, string template) => new()
    {
        ["TemplateId"] = id,
        ["Name"] = name,
        ["Template"] = template,
    };

    private static Dictionary<string, string> Workflow(string id, string name, string text) => new()
    {
        ["Form.WorkflowId"] = id,
        ["Form.Name"] = name,
        ["Form.Variables"] = "{}",
        ["Form.Steps[0].StepId"] = "say",
        ["Form.Steps[0].StepType"] = "template",
        ["Form.Steps[0].Action"] = "render",
        ["Form.Steps[0].Parameters[text]"] = text,
        ["Command"] = "save",
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_prompt_with_a_taken_id_is_refused_beside_the_id_and_the_stored_one_is_kept(bool htmx)
    {
        var (owner, client) = await NewUserAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Prompts/Edit", Prompt("greeting", "Greeting", "Hello {{who}}"))).StatusCode);

        var fields = Prompt("greeting", "Other", "Replaced");
        var response = htmx ? await client.PostHtmxAsync("/Prompts/Edit", fields) : await client.PostFormAsync("/Prompts/Edit", fields);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        var error = page.GetElementById("prompt-id-error");
        Assert.NotNull(error);
        Assert.Equal("template_id", error!.GetAttribute("data-path"));
        Assert.Contains("'greeting' is already the id of your prompt 'Greeting'", error.TextContent);
        Assert.Equal("/Prompts/Edit/greeting", error.QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("prompt-id-error", page.GetElementById("prompt-id")!.GetAttribute("aria-describedby"));
        // what the user typed stays in the form
        Assert.Equal("Replaced", page.GetElementById("prompt-template")!.TextContent);

        var stored = await host.InScope<StoredPrompt?, PromptStore>(store => store.GetAsync(owner, "greeting", CancellationToken.None));
        Assert.Equal("Hello {{who}}", stored!.Prompt.Template);
        Assert.Equal("Greeting", stored.Prompt.Name);
    }

    [Fact]
    public async Task Editing_a_prompt_still_replaces_it()
    {
        var (owner, client) = await NewUserAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Prompts/Edit", Prompt("notes", "Notes", "one"))).StatusCode);

        var edited = await client.PostFormAsync("/Prompts/Edit/notes", Prompt("notes", "Notes", "two"));

        Assert.Equal(HttpStatusCode.Redirect, edited.StatusCode);
        var stored = await host.InScope<StoredPrompt?, PromptStore>(store => store.GetAsync(owner, "notes", CancellationToken.None));
        Assert.Equal("two", stored!.Prompt.Template);
    }

    [Fact]
    public async Task A_new_workflow_with_a_taken_id_is_refused_beside_the_id_from_the_editor_and_from_raw_json()
    {
        var (owner, client) = await NewUserAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", Workflow("digest", "Weekly digest", "first"))).StatusCode);

        var fromEditor = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit", Workflow("digest", "Another", "second"))).Content.ReadAsStringAsync());
        const string Json = """{"workflow_id": "digest", "steps": [{"step_id": "say", "step_type": "template", "action": "render", "parameters": {"text": "third"}}]}""";
        var fromJson = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit?handler=Json", new() { ["Json"] = Json }, "/Workflows/Edit")).Content.ReadAsStringAsync());

        foreach (var page in new[] { fromEditor, fromJson })
        {
            var error = page.GetElementById("workflow-id-error");
            Assert.NotNull(error);
            Assert.Contains("'digest' is already the id of your workflow 'Weekly digest'", error!.TextContent);
            Assert.Equal("/Workflows/Edit/digest", page.QuerySelector("a.field-link")!.GetAttribute("href"));
        }
        var stored = await host.InScope<StoredWorkflow?, WorkflowStore>(store => store.GetAsync(owner, "digest", CancellationToken.None));
        Assert.Equal(1, stored!.Version);
        Assert.Equal("first", stored.Workflow.Steps[0].Parameters["text"]!.GetValue<string>());
    }
}
