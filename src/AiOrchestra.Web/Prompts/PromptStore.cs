using AiOrchestra.Web.Audit;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Prompts;

/// <summary>A user's prompt templates; every query is scoped to the owner.</summary>
public sealed class PromptStore(AppDbContext db, StoreSql sql, TimeProvider time, AuditLog audit)
{

    /// <summary>Creates the prompt, or replaces the owner's prompt with the same id. A prompt with errors is not saved.</summary>
    public Task<PromptSaveResult> SaveAsync(string ownerId, PromptTemplate prompt, CancellationToken cancellationToken) =>
        SaveAsync(ownerId, prompt, SaveMode.CreateOrReplace, cancellationToken);

    /// <summary>As <see cref="SaveAsync(string, PromptTemplate, CancellationToken)"/>, allowing only what <paramref name="mode"/> says.</summary>
    public async Task<PromptSaveResult> SaveAsync(string ownerId, PromptTemplate prompt, SaveMode mode, CancellationToken cancellationToken)
    {
        var errors = Validate(prompt);
        if (errors.Count > 0)
        {
            return new PromptSaveResult(null, errors, SaveOutcome.Invalid);
        }

        try
        {
            // SQLite's BEGIN IMMEDIATE: the existence check and the write cannot interleave with another save
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await sql.SerializeAsync(db.Database, $"prompt/{ownerId}/{prompt.TemplateId}", cancellationToken);
            var now = time.GetUtcNow();
            var record = await db.Prompts.FirstOrDefaultAsync(p => p.OwnerId == ownerId && p.TemplateId == prompt.TemplateId, cancellationToken);
            if (mode == SaveMode.Create && record is not null)
            {
                return PromptSaveResult.Refused(SaveOutcome.AlreadyExists);
            }
            if (mode == SaveMode.Replace && record is null)
            {
                return PromptSaveResult.Refused(SaveOutcome.NotFound);
            }
            if (record is null)
            {
                record = new PromptRecord { OwnerId = ownerId, TemplateId = prompt.TemplateId, Name = "", Template = "", CreatedAt = now };
                db.Prompts.Add(record);
            }
            record.Name = prompt.Name;
            record.Description = prompt.Description;
            record.Template = prompt.Template;
            record.SystemPrompt = prompt.SystemPrompt;
            record.Model = prompt.Model;
            record.Temperature = prompt.Temperature;
            record.UpdatedAt = now;
            record.CurrentVersion++;
            // the record's id is needed for its version: a new record is written first, inside the same transaction
            await db.SaveChangesAsync(cancellationToken);
            db.PromptVersions.Add(new PromptVersion
            {
                PromptRecordId = record.Id, Number = record.CurrentVersion, Name = prompt.Name, Description = prompt.Description,
                Template = prompt.Template, SystemPrompt = prompt.SystemPrompt, Model = prompt.Model, Temperature = prompt.Temperature, SavedAt = now,
                SavedBy = audit.ActorName(),
            });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await audit.WriteAsync("prompt.saved", prompt.TemplateId, $"version {record.CurrentVersion}", cancellationToken: cancellationToken);
            return new PromptSaveResult(ToStored(record), [], SaveOutcome.Saved);
        }
        catch (DbUpdateException e) when (StoreFailures.IsUniqueViolation(e))
        {
            // another save of the same id committed first; nothing of this one was written
            return PromptSaveResult.Refused(SaveOutcome.ChangedConcurrently);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    public async Task<StoredPrompt?> GetAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        var record = await db.Prompts.AsNoTracking()
            .FirstOrDefaultAsync(p => p.OwnerId == ownerId && p.TemplateId == templateId, cancellationToken);
        return record is null ? null : ToStored(record);
    }

    public async Task<IReadOnlyList<StoredPrompt>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        var records = await db.Prompts.AsNoTracking()
            .Where(p => p.OwnerId == ownerId)
            .OrderBy(p => p.TemplateId)
            .ToListAsync(cancellationToken);
        return records.Select(ToStored).ToList();
    }

    /// <summary>The owner's prompt's saved versions, newest first; null when there is no such prompt.</summary>
    public async Task<IReadOnlyList<PromptVersion>?> VersionsAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        var recordId = await db.Prompts.AsNoTracking().Where(p => p.OwnerId == ownerId && p.TemplateId == templateId)
            .Select(p => (long?)p.Id).FirstOrDefaultAsync(cancellationToken);
        if (recordId is null)
        {
            return null;
        }
        return await db.PromptVersions.AsNoTracking().Where(v => v.PromptRecordId == recordId)
            .OrderByDescending(v => v.Number).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Versions <paramref name="from"/> and <paramref name="to"/> of the owner's prompt side by side, each written as
    /// its fields then its system prompt and template. Null with a sentence when the prompt or a version does not exist.
    /// </summary>
    public async Task<(Versions.SideBySideDiff? Diff, string? Problem)> DiffAsync(
        string ownerId, string templateId, int from, int to, CancellationToken cancellationToken)
    {
        var versions = await VersionsAsync(ownerId, templateId, cancellationToken);
        var old = versions?.FirstOrDefault(v => v.Number == from);
        var now = versions?.FirstOrDefault(v => v.Number == to);
        if (old is null || now is null)
        {
            return (null, $"prompt '{templateId}' has no version {(old is null ? from : to)}; its versions are listed at /api/prompts/{templateId}/versions.");
        }
        return (Versions.VersionDiff.Of(from, Text(old), to, Text(now)), null);
    }

    /// <summary>Saves version <paramref name="number"/> of the owner's prompt again as its newest; null when there is no such version.</summary>
    public async Task<PromptSaveResult?> RestoreAsync(string ownerId, string templateId, int number, CancellationToken cancellationToken)
    {
        var version = (await VersionsAsync(ownerId, templateId, cancellationToken))?.FirstOrDefault(v => v.Number == number);
        if (version is null)
        {
            return null;
        }
        var prompt = new PromptTemplate
        {
            TemplateId = templateId, Name = version.Name, Description = version.Description, Template = version.Template,
            SystemPrompt = version.SystemPrompt, Model = version.Model, Temperature = version.Temperature,
        };
        return await SaveAsync(ownerId, prompt, SaveMode.Replace, cancellationToken);
    }

    /// <summary>A prompt version as the diff shows it: one field a line, then the system prompt and the template whole.</summary>
    private static string Text(PromptVersion version) =>
        $"""
        name: {version.Name}
        description: {version.Description}
        model: {version.Model}
        temperature: {version.Temperature?.ToString(System.Globalization.CultureInfo.InvariantCulture)}
        system prompt:
        {version.SystemPrompt}
        template:
        {version.Template}
        """;

    /// <summary>Deletes the owner's prompt; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        var deleted = await db.Prompts.Where(p => p.OwnerId == ownerId && p.TemplateId == templateId).ExecuteDeleteAsync(cancellationToken) > 0;
        if (deleted)
        {
            await audit.WriteAsync("prompt.deleted", templateId, cancellationToken: cancellationToken);
        }
        return deleted;
    }

    /// <summary>Every problem with the prompt at once, each naming its field.</summary>
    public static IReadOnlyList<ValidationError> Validate(PromptTemplate prompt)
    {
        var errors = new List<ValidationError>();
        if (!Ids.PromptId().IsMatch(prompt.TemplateId))
        {
            errors.Add(new ValidationError("template_id", $"'{prompt.TemplateId}' is not a valid id: use 1 to 64 letters, digits, '_' or '-'."));
        }
        if (prompt.Name.Length > 200)
        {
            errors.Add(new ValidationError("name", "is longer than 200 characters; shorten it."));
        }
        if (string.IsNullOrWhiteSpace(prompt.Template))
        {
            errors.Add(new ValidationError("template", "is empty; write the prompt's text."));
        }
        else if (!prompt.SingleBrace)
        {
            try
            {
                Template.Parse(prompt.Template);
                if (prompt.SystemPrompt is not null)
                {
                    Template.Parse(prompt.SystemPrompt);
                }
            }
            catch (TemplateException e)
            {
                errors.Add(new ValidationError("template", e.Message));
            }
        }
        if (prompt.Model is { Length: > 100 })
        {
            errors.Add(new ValidationError("model", "is longer than 100 characters; give a model name such as gpt-4o-mini."));
        }
        if (prompt.Temperature is < 0 or > 2)
        {
            errors.Add(new ValidationError("temperature", $"is {prompt.Temperature}; use a value from 0 to 2."));
        }
        return errors;
    }

    /// <summary>The prompt's variables (the engine's detection); none while its text does not parse, which validation reports.</summary>
    public static IReadOnlyList<string> VariablesOf(PromptTemplate prompt)
    {
        try
        {
            return prompt.Variables;
        }
        catch (TemplateException)
        {
            return [];
        }
    }

    private static StoredPrompt ToStored(PromptRecord record)
    {
        var prompt = new PromptTemplate
        {
            TemplateId = record.TemplateId, Name = record.Name, Description = record.Description, Template = record.Template,
            SystemPrompt = record.SystemPrompt, Model = record.Model, Temperature = record.Temperature, Version = record.CurrentVersion,
        };
        return new StoredPrompt(prompt, VariablesOf(prompt), record.CreatedAt, record.UpdatedAt);
    }
}
