using System.Net;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Prompts;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>A prompt's versions page: two versions side by side, an earlier one restored as the newest; another user's prompt is 404.</summary>
public sealed class VersionDiffPageTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public VersionDiffPageTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task A_prompts_versions_show_side_by_side_and_restore_makes_a_new_version()
    {
        var name = "diff-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await _host.CreateUserAsync(name);
        using var client = await _host.SignedInAsync(name);
        foreach (var template in new[] { "Write about {{topic}}.", "Write briefly about {{topic}}." })
        {
            await _host.InScope<PromptSaveResult, PromptStore>(store =>
                store.SaveAsync(owner, new PromptTemplate { TemplateId = "essay", Name = "Essay", Template = template }, default));
        }

        var page = await client.GetDocumentAsync("/Prompts/Diff/essay");
        Assert.Equal("− Write about {{topic}}.", page.QuerySelector("td[data-change='modified']")!.TextContent);
        Assert.Equal("+ Write briefly about {{topic}}.", page.QuerySelectorAll("td[data-change='modified']")[1].TextContent);

        var restored = await client.PostFormAsync("/Prompts/Diff/essay?handler=Restore&version=1", [], formPage: "/Prompts/Diff/essay");
        Assert.Equal(HttpStatusCode.Redirect, restored.StatusCode);
        var prompt = await _host.InScope<StoredPrompt?, PromptStore>(store => store.GetAsync(owner, "essay", default));
        Assert.Equal("Write about {{topic}}.", prompt!.Prompt.Template);
        page = await client.GetDocumentAsync("/Prompts/Diff/essay");
        Assert.Equal(["3 (current)", "2", "1"], page.QuerySelectorAll("#versions tbody tr td:first-child").Select(td => td.TextContent.Trim()));
        // the restore was made by the signed-in user; the first two were saved outside a request (the app itself)
        Assert.Equal([name, "(app)", "(app)"], page.QuerySelectorAll("#versions tbody tr td.saved-by").Select(td => td.TextContent.Trim()));

        var other = "other-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(other);
        using var stranger = await _host.SignedInAsync(other);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync("/Prompts/Diff/essay")).StatusCode);
    }
}
