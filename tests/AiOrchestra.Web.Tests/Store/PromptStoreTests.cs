using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Prompts;

namespace AiOrchestra.Web.Tests.Store;

public sealed class PromptStoreTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Prompts_are_created_read_updated_listed_and_deleted_with_their_variables()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        var prompt = new PromptTemplate { TemplateId = "summary", Name = "Summary", Template = "Summarise {{text}} for {{ audience }}." };

        var saved = await host.InScope<PromptStore, PromptSaveResult>(s => s.SaveAsync(owner, prompt, CancellationToken.None));
        Assert.True(saved.Succeeded);
        Assert.Equal(["text", "audience"], saved.Saved!.Variables);

        await host.InScope<PromptStore, PromptSaveResult>(s => s.SaveAsync(owner, prompt with { Template = "Shorter: {{text}}" }, CancellationToken.None));
        var read = await host.InScope<PromptStore, StoredPrompt?>(s => s.GetAsync(owner, "summary", CancellationToken.None));
        Assert.Equal("Shorter: {{text}}", read!.Prompt.Template);
        Assert.Single(await host.InScope<PromptStore, IReadOnlyList<StoredPrompt>>(s => s.ListAsync(owner, CancellationToken.None)));

        var library = host.Get<IPromptLibrary>();
        Assert.Equal("Shorter: {{text}}", (await library.FindAsync(owner, "summary", CancellationToken.None))!.Template);

        Assert.True(await host.InScope<PromptStore, bool>(s => s.DeleteAsync(owner, "summary", CancellationToken.None)));
        Assert.Null(await host.InScope<PromptStore, StoredPrompt?>(s => s.GetAsync(owner, "summary", CancellationToken.None)));
    }

    [Fact]
    public async Task A_prompt_with_errors_is_not_saved_and_each_error_names_its_field()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        var prompt = new PromptTemplate { TemplateId = "bad id!", Template = "Hello {{name" };

        var result = await host.InScope<PromptStore, PromptSaveResult>(s => s.SaveAsync(owner, prompt, CancellationToken.None));

        Assert.False(result.Succeeded);
        Assert.Equal(["template_id", "template"], result.Errors.Select(e => e.Path));
        Assert.Empty(await host.InScope<PromptStore, IReadOnlyList<StoredPrompt>>(s => s.ListAsync(owner, CancellationToken.None)));
    }
}
