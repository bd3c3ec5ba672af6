using AiOrchestra.Web.Projects;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Prompts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

/// <summary>Creates and edits a prompt; lists the variables its text uses and previews it rendered with sample values.</summary>
[ProjectRights(ProjectRole.Editor)]
public sealed class EditModel(PromptStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    // model binding turns an empty field into null; "" lets the store report the field as missing
    [BindProperty]
    public string TemplateId { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Name { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string? Description { get; set; }

    [BindProperty]
    public string Template { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public Dictionary<string, string?> Samples { get; set; } = [];

    public bool IsNew => string.IsNullOrEmpty(Id);
    public bool Saved { get; private set; }
    public IReadOnlyList<ValidationError> Errors { get; private set; } = [];

    /// <summary>The prompt that already has the id a new prompt asked for (a new prompt never replaces one).</summary>
    public StoredPrompt? Taken { get; private set; }
    public IReadOnlyList<string> Variables => PromptStore.VariablesOf(new PromptTemplate { TemplateId = Id ?? "", Template = Template });
    public string? Preview { get; private set; }
    public string? PreviewError { get; private set; }

    public async Task<IActionResult> OnGetAsync(bool saved, CancellationToken cancellationToken)
    {
        if (!IsNew)
        {
            var stored = await store.GetAsync(User.OwnerId(), Id!, cancellationToken);
            if (stored is null)
            {
                return NotFound();
            }
            TemplateId = stored.Prompt.TemplateId;
            Name = stored.Prompt.Name;
            Description = stored.Prompt.Description;
            Template = stored.Prompt.Template;
        }
        Saved = saved;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!IsNew)
        {
            if (await store.GetAsync(User.OwnerId(), Id!, cancellationToken) is null)
            {
                return NotFound();
            }
            TemplateId = Id!;
        }
        // the id as typed, as the API takes it: "x\n" is refused, not quietly saved as "x"
        var prompt = new PromptTemplate { TemplateId = TemplateId, Name = Name.Trim(), Description = Description, Template = Template };
        if (!IsNew && await store.GetAsync(User.OwnerId(), prompt.TemplateId, cancellationToken) is { } existing)
        {
            // the original AI-Orchestra's system prompt, model and temperature are set through the API and kept here
            prompt = prompt with { SystemPrompt = existing.Prompt.SystemPrompt, Model = existing.Prompt.Model, Temperature = existing.Prompt.Temperature };
        }
        // a new prompt only creates, an edit only replaces: prompts keep no history, so a taken id must not be overwritten
        var result = await store.SaveAsync(User.OwnerId(), prompt, IsNew ? SaveMode.Create : SaveMode.Replace, cancellationToken);
        if (result.Succeeded)
        {
            return this.NavigateTo("/Prompts/Edit/" + Uri.EscapeDataString(prompt.TemplateId) + "?saved=true");
        }
        if (result.Outcome == SaveOutcome.NotFound)
        {
            return NotFound();
        }
        Errors = result.Errors;
        if (result.Outcome is SaveOutcome.AlreadyExists or SaveOutcome.ChangedConcurrently
            && await store.GetAsync(User.OwnerId(), prompt.TemplateId, cancellationToken) is { } taken)
        {
            Taken = taken;
            var named = taken.Prompt.Name.Length > 0 ? $" '{taken.Prompt.Name}'" : "";
            Errors = [new ValidationError("template_id", $"'{prompt.TemplateId}' is already the id of your prompt{named}; choose another id, or open that prompt to change it.")];
        }
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_Form", this) : Page();
    }

    /// <summary>The errors of one field, by its path (<c>template_id</c>, <c>name</c>, <c>template</c>).</summary>
    public IEnumerable<string> ErrorsAt(string path) => Errors.Where(e => e.Path == path).Select(e => e.Message);

    public IActionResult OnPostPreview()
    {
        try
        {
            var values = Variables.ToDictionary(name => name, name => (JsonNode?)JsonValue.Create(Samples.GetValueOrDefault(name) ?? ""), StringComparer.Ordinal);
            Preview = new PromptTemplate { TemplateId = "preview", Template = Template }.Render(values);
        }
        catch (TemplateException e)
        {
            PreviewError = e.Message;
        }
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_Preview", this) : Page();
    }
}
