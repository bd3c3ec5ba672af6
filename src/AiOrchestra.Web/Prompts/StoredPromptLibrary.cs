using AiOrchestra.Engine.Prompts;

namespace AiOrchestra.Web.Prompts;

/// <summary>The step types' view of the prompt store (they are singletons; the store lives in a scope).</summary>
internal sealed class StoredPromptLibrary(IServiceScopeFactory scopes) : IPromptLibrary
{
    public async Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var prompt = await scope.ServiceProvider.GetRequiredService<PromptStore>().GetAsync(ownerId, templateId, cancellationToken);
        return prompt?.Prompt;
    }
}
