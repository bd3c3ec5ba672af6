using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The visual editor's commands: a dragged step moves to where it was dropped; the palette inserts a step of any type at any place.</summary>
public sealed class StepOrderTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public StepOrderTests(DashboardHost host) => _host = host;

    private static Dictionary<string, string> ThreeSteps(string command) => new()
    {
        ["Form.WorkflowId"] = "order", ["Form.Name"] = "Order",
        ["Form.Steps[0].StepId"] = "first", ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render",
        ["Form.Steps[0].Parameters[text]"] = "one",
        ["Form.Steps[1].StepId"] = "second", ["Form.Steps[1].StepType"] = "template", ["Form.Steps[1].Action"] = "render",
        ["Form.Steps[1].Parameters[text]"] = "two",
        ["Form.Steps[2].StepId"] = "third", ["Form.Steps[2].StepType"] = "template", ["Form.Steps[2].Action"] = "render",
        ["Form.Steps[2].Parameters[text]"] = "three",
        ["Command"] = command,
    };

    private async Task<AngleSharp.Dom.IDocument> PostAsync(Dictionary<string, string> form)
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var response = await client.PostFormAsync("/Workflows/Edit", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return HtmlClient.Parse(await response.Content.ReadAsStringAsync());
    }

    private static string[] StepIds(AngleSharp.Dom.IDocument page) =>
        page.QuerySelectorAll("li.step-editor input[id$='-id']").Select(i => i.GetAttribute("value") ?? "").ToArray();

    [Fact]
    public async Task A_step_dragged_from_last_to_first_moves_there_with_its_fields()
    {
        var page = await PostAsync(ThreeSteps("move-2-0"));
        Assert.Equal(["third", "first", "second"], StepIds(page));
        Assert.Equal("three", page.GetElementById("s0-p-text")!.TextContent);
        Assert.NotNull(page.QuerySelector("ol.steps-editor[data-sortable] li .drag-handle"));
    }

    [Fact]
    public async Task A_move_outside_the_list_changes_nothing()
    {
        var page = await PostAsync(ThreeSteps("move-0-7"));
        Assert.Equal(["first", "second", "third"], StepIds(page));
    }

    [Fact]
    public async Task The_palette_inserts_a_step_of_the_chosen_type_at_the_chosen_place()
    {
        var form = ThreeSteps("insert");
        form["InsertType"] = "http";
        form["InsertAt"] = "1";
        var page = await PostAsync(form);
        var ids = StepIds(page);
        Assert.Equal(4, ids.Length);
        Assert.Equal(["first", "second", "third"], ids.Where((_, index) => index != 1));
        Assert.Equal("http", page.GetElementById("s1-type")!.QuerySelector("option[selected]")!.GetAttribute("value"));
        Assert.NotNull(page.GetElementById("s1-p-url"));
        // every type is offered, in the palette to drag and in the chooser
        Assert.Contains(page.QuerySelectorAll("[data-palette] li"), li => li.GetAttribute("data-step-type") == "http");
        Assert.Equal(5, page.GetElementById("palette-at")!.QuerySelectorAll("option").Length);
    }

    [Fact]
    public async Task An_unknown_type_or_place_inserts_nothing()
    {
        var form = ThreeSteps("insert");
        form["InsertType"] = "no_such_type";
        form["InsertAt"] = "1";
        Assert.Equal(3, StepIds(await PostAsync(form)).Length);
        form["InsertType"] = "http";
        form["InsertAt"] = "9";
        Assert.Equal(3, StepIds(await PostAsync(form)).Length);
    }
}
