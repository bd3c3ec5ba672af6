using AiOrchestra.Web.Tokens;
using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Api.Prompts;

/// <summary><c>/api/prompts</c>: the token's user's prompt templates, as the seed's PromptTemplate, and rendering them.</summary>
public static class PromptsApi
{
    /// <summary>
    /// A prompt as sent: <c>template_id</c> (or <c>id</c>), name, description, template (or the original AI-Orchestra's
    /// <c>user_prompt</c>), and its <c>system_prompt</c>, <c>model</c>, <c>temperature</c>. <c>variables</c> is accepted
    /// for the original's clients, but the variables are always those the texts' placeholders use.
    /// </summary>
    public sealed record PromptBody(
        string? TemplateId, string? Id, string? Name, string? Description, string? Template, IReadOnlyList<string>? Variables,
        string? SystemPrompt = null, string? UserPrompt = null, string? Model = null, double? Temperature = null);

    /// <summary>A prompt; <c>id</c> repeats <c>template_id</c> for the original AI-Orchestra's clients.</summary>
    public sealed record PromptJson(
        string TemplateId, string Id, string Name, string? Description, string Template, IReadOnlyList<string> Variables,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string UserPrompt, string? SystemPrompt, string? Model, double? Temperature)
    {
        /// <summary><c>success</c> in the answer to a create, as the original AI-Orchestra's clients read it.</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? Status { get; init; }
    }

    public sealed record RenderRequest(Dictionary<string, JsonNode?>? Variables);

    public sealed record RenderResponse(string Rendered);

    public static IEndpointRouteBuilder MapPromptsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/prompts").WithTags("Prompts").RequireAuthorization(ApiAuthentication.Policy);
        group.MapGet("/", ListAsync).WithSummary("List your prompt templates");
        group.MapGet("/{id}", GetAsync).WithSummary("Get a prompt template");
        group.MapPost("/", CreateAsync).WithSummary("Create a prompt template");
        group.MapPut("/{id}", UpdateAsync).WithSummary("Replace a prompt template");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a prompt template");
        group.MapGet("/{id}/versions", VersionsAsync).WithSummary("Every saved version of a prompt template, newest first");
        group.MapGet("/{id}/diff", DiffAsync)
            .WithSummary("Two versions side by side, line by line (?from=&to=; by default the current version against the one before)");
        group.MapPost("/{id}/versions/{version}/restore", RestoreAsync)
            .WithSummary("Save an earlier version of a prompt template again as the newest one");
        group.MapPost("/{id}/render", RenderAsync).WithSummary("Render a prompt template with the given variables").RequireScope(TokenScopes.Read);
        return app;
    }

    private static async Task<Ok<List<PromptJson>>> ListAsync(ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await store.ListAsync(user.OwnerId(), cancellationToken)).Select(ToJson).ToList());

    private static async Task<Results<Ok<PromptJson>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken)
    {
        var prompt = await store.GetAsync(user.OwnerId(), id, cancellationToken);
        return prompt is null ? NotFound(id) : TypedResults.Ok(ToJson(prompt));
    }

    private static async Task<Results<Created<PromptJson>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        PromptBody body, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken)
    {
        var id = body.TemplateId ?? body.Id;
        if (id is null)
        {
            return ApiProblems.Invalid("template_id", "is missing; give the prompt an id (1 to 64 letters, digits, '_' or '-').");
        }
        if (body.TemplateId is not null && body.Id is not null && body.TemplateId != body.Id)
        {
            return ApiProblems.Invalid("id", "differs from template_id; give one of them.");
        }
        // the original had no PUT: a POST of an existing id in its shape (id, no template_id) replaces the prompt
        var originalShape = body.TemplateId is null;
        var saved = await store.SaveAsync(user.OwnerId(), ToPrompt(id, body), originalShape ? SaveMode.CreateOrReplace : SaveMode.Create, cancellationToken);
        return saved.Outcome switch
        {
            SaveOutcome.Saved => TypedResults.Created($"/api/prompts/{id}", ToJson(saved.Saved!) with { Status = "success" }),
            SaveOutcome.AlreadyExists => ApiProblems.Conflict($"You already have a prompt '{id}'; change it with PUT /api/prompts/{id} or choose another template_id."),
            SaveOutcome.ChangedConcurrently => ChangedConcurrently(id),
            _ => ApiProblems.Invalid(saved.Errors, "The prompt was not saved; fix the fields listed under 'errors'."),
        };
    }

    private static async Task<Results<Ok<PromptJson>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, PromptBody body, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken)
    {
        var given = body.TemplateId ?? body.Id;
        if (given is not null && given != id)
        {
            return ApiProblems.Invalid("template_id", $"is '{given}' but the address names '{id}'; they must match.");
        }
        var saved = await store.SaveAsync(user.OwnerId(), ToPrompt(id, body), SaveMode.Replace, cancellationToken);
        return saved.Outcome switch
        {
            SaveOutcome.Saved => TypedResults.Ok(ToJson(saved.Saved!)),
            SaveOutcome.NotFound => NotFound(id),
            SaveOutcome.ChangedConcurrently => ChangedConcurrently(id),
            _ => ApiProblems.Invalid(saved.Errors, "The prompt was not saved; fix the fields listed under 'errors'."),
        };
    }

    /// <summary>One saved version of a prompt.</summary>
    public sealed record PromptVersionJson(
        int Version, string Name, string? Description, string Template, string? SystemPrompt, string? Model, double? Temperature, DateTimeOffset SavedAt, string? SavedBy);

    private static async Task<Results<Ok<List<PromptVersionJson>>, ProblemHttpResult>> VersionsAsync(
        string id, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken) =>
        await store.VersionsAsync(user.OwnerId(), id, cancellationToken) is { } versions
            ? TypedResults.Ok(versions.Select(v => new PromptVersionJson(v.Number, v.Name, v.Description, v.Template, v.SystemPrompt, v.Model, v.Temperature, v.SavedAt, v.SavedBy)).ToList())
            : NotFound(id);

    private static async Task<Results<Ok<Versions.SideBySideDiff>, ProblemHttpResult>> DiffAsync(
        string id, int? from, int? to, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken)
    {
        var versions = await store.VersionsAsync(user.OwnerId(), id, cancellationToken);
        if (versions is null || versions.Count == 0)
        {
            return NotFound(id);
        }
        var newer = to ?? versions[0].Number;
        var (diff, problem) = await store.DiffAsync(user.OwnerId(), id, from ?? Math.Max(1, newer - 1), newer, cancellationToken);
        return diff is null ? ApiProblems.NotFound(char.ToUpperInvariant(problem![0]) + problem[1..]) : TypedResults.Ok(diff);
    }

    private static async Task<Results<Created<PromptJson>, ValidationProblem, ProblemHttpResult>> RestoreAsync(
        string id, int version, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken)
    {
        var saved = await store.RestoreAsync(user.OwnerId(), id, version, cancellationToken);
        return saved?.Outcome switch
        {
            null or SaveOutcome.NotFound => ApiProblems.NotFound($"You have no prompt '{id}' with a version {version}. GET /api/prompts/{id}/versions lists them."),
            SaveOutcome.Invalid => ApiProblems.Invalid(saved.Errors, $"Version {version} no longer validates and was not restored."),
            SaveOutcome.Saved => TypedResults.Created($"/api/prompts/{id}", ToJson(saved.Saved!)),
            _ => ApiProblems.Conflict($"Prompt '{id}' was changed concurrently by another request; retry."),
        };
    }

    /// <summary>The original AI-Orchestra's clients read <c>{"status": "success"}</c>.</summary>
    public sealed record Deleted(string Status, string TemplateId);

    private static async Task<Results<Ok<Deleted>, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, PromptStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(user.OwnerId(), id, cancellationToken) ? TypedResults.Ok(new Deleted("success", id)) : NotFound(id);

    private static async Task<Results<Ok<RenderResponse>, ValidationProblem, ProblemHttpResult>> RenderAsync(
        string id, RenderRequest request, ClaimsPrincipal user, PromptStore store, IOptions<RunOptions> options, CancellationToken cancellationToken)
    {
        var prompt = await store.GetAsync(user.OwnerId(), id, cancellationToken);
        if (prompt is null)
        {
            return NotFound(id);
        }
        try
        {
            // the same cap as a step's parameter: a template repeating a large variable must not render without limit
            var budget = new RenderBudget(options.Value.MaxRenderedParameterBytes);
            return TypedResults.Ok(new RenderResponse(prompt.Prompt.Render(request.Variables ?? [], budget)));
        }
        catch (TemplateException e)
        {
            return ApiProblems.Invalid("variables", e.Message);
        }
    }

    private static PromptTemplate ToPrompt(string id, PromptBody body) => new()
    {
        TemplateId = id,
        Name = body.Name ?? "",
        Description = body.Description,
        Template = body.Template ?? body.UserPrompt ?? "",
        SystemPrompt = string.IsNullOrEmpty(body.SystemPrompt) ? null : body.SystemPrompt,
        Model = string.IsNullOrWhiteSpace(body.Model) ? null : body.Model.Trim(),
        Temperature = body.Temperature,
    };

    private static PromptJson ToJson(StoredPrompt stored) => new(
        stored.Prompt.TemplateId, stored.Prompt.TemplateId, stored.Prompt.Name, stored.Prompt.Description, stored.Prompt.Template, stored.Variables,
        stored.CreatedAt, stored.UpdatedAt, stored.Prompt.Template, stored.Prompt.SystemPrompt, stored.Prompt.Model, stored.Prompt.Temperature);

    private static ProblemHttpResult ChangedConcurrently(string id) =>
        ApiProblems.Conflict($"Prompt '{id}' was changed concurrently by another request; GET it and retry.");

    private static ProblemHttpResult NotFound(string id) => ApiProblems.NotFound($"You have no prompt '{id}'. GET /api/prompts lists yours.");
}
