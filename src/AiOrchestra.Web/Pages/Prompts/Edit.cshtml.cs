using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Prompts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

/// <summary>Creates and edits a prompt; lists the variables its text uses and previews it rendered with sample values.</summary>
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
        var result = await store.SaveAsync(User.OwnerId(), prompt, cancellationToken);
        if (!result.Succeeded)
        {
            Errors = result.Errors;
            Response.VaryOnHtmx();
            return Request.IsHtmx() ? Partial("_Form", this) : Page();
        }
        return this.NavigateTo("/Prompts/Edit/" + Uri.EscapeDataString(prompt.TemplateId) + "?saved=true");
    }

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
