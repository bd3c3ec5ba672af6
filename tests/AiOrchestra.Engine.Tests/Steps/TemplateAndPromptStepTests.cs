using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Steps.Prompt;
using AiOrchestra.Engine.Steps.Template;

namespace AiOrchestra.Engine.Tests.Steps;

public sealed class TemplateAndPromptStepTests
{
    [Fact]
    public async Task Template_render_outputs_its_text_and_never_rescans_it_for_braces()
    {
        var output = await new TemplateStep().ExecuteAsync(Call("render", new JsonObject { ["text"] = "LLM said {{x}}" }), CancellationToken.None);

        Assert.Equal("LLM said {{x}}", output!.GetValue<string>());
    }

    [Fact]
    public async Task Template_render_writes_an_object_as_compact_json()
    {
        var output = await new TemplateStep().ExecuteAsync(
            Call("render", new JsonObject { ["text"] = new JsonObject { ["a"] = 1 } }), CancellationToken.None);

        Assert.Equal("""{"a":1}""", output!.GetValue<string>());
    }

    [Fact]
    public async Task Template_render_without_text_fails_naming_the_parameter()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => new TemplateStep().ExecuteAsync(Call("render", []), CancellationToken.None));

        Assert.Equal("parameter 'text' is required", error.Message);
    }

    [Fact]
    public async Task Prompt_render_renders_the_owners_template_with_the_given_variables()
    {
        var step = new PromptStep(new OwnedPrompts(("owner-1", new PromptTemplate { TemplateId = "sop", Template = "SOP on {{topic}} for {{team}}" })));

        var output = await step.ExecuteAsync(
            Call("render", new JsonObject { ["template_id"] = "sop", ["variables"] = new JsonObject { ["topic"] = "backups", ["team"] = "ops" } }),
            CancellationToken.None);

        Assert.Equal("SOP on backups for ops", output!.GetValue<string>());
    }

    [Fact]
    public async Task Prompt_render_of_an_unknown_or_another_users_template_fails_naming_the_id()
    {
        var step = new PromptStep(new OwnedPrompts(("someone-else", new PromptTemplate { TemplateId = "sop", Template = "x" })));

        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            step.ExecuteAsync(Call("render", new JsonObject { ["template_id"] = "sop" }), CancellationToken.None));

        Assert.Equal("prompt template 'sop' was not found", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task Prompt_render_with_missing_variables_names_them_all()
    {
        var step = new PromptStep(new OwnedPrompts(("owner-1", new PromptTemplate { TemplateId = "sop", Template = "{{topic}} {{team}}" })));

        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            step.ExecuteAsync(Call("render", new JsonObject { ["template_id"] = "sop" }), CancellationToken.None));

        Assert.Equal("prompt template 'sop': missing values for 'topic', 'team'", error.Message);
    }

    [Fact]
    public void Each_step_type_describes_its_action_and_required_parameters()
    {
        var template = Assert.Single(new TemplateStep().Actions);
        var prompt = Assert.Single(new PromptStep(new OwnedPrompts()).Actions);

        Assert.Equal("render", template.Name);
        Assert.True(template.Parameters.Single(p => p.Name == "text").Required);
        Assert.True(prompt.Parameters.Single(p => p.Name == "template_id").Required);
        Assert.False(prompt.Parameters.Single(p => p.Name == "variables").Required);
        Assert.All(template.Parameters.Concat(prompt.Parameters), p => Assert.NotEmpty(p.Description));
    }

    internal static StepCall Call(string action, JsonObject parameters) =>
        new(action, parameters, new StepContext { RunId = "run-1", StepId = "s", Attempt = 1, OwnerId = "owner-1" });

    private sealed class OwnedPrompts(params (string Owner, PromptTemplate Prompt)[] prompts) : IPromptLibrary
    {
        public Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken) =>
            Task.FromResult(prompts.Where(p => p.Owner == ownerId && p.Prompt.TemplateId == templateId).Select(p => p.Prompt).FirstOrDefault());
    }
}
