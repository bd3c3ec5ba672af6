using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Original;

/// <summary>
/// <c>import DIR [--user NAME]</c>: brings an original AI-Orchestra data folder (<c>workflows/*.json</c>,
/// <c>prompts/*.json</c>, <c>logs/*.json</c>) into one account. Each file is stored whole or not at all; running it
/// again imports nothing new. Prints one line per file (imported, skipped or failed, with why) and a summary.
/// </summary>
internal static class ImportCommand
{
    public const string Name = "import";
    public const string UsageLine = "usage: AiOrchestra.Web import DIR [--user NAME]   import an AI-Orchestra (Python) data folder into an account";

    /// <summary>A run log or workflow larger than this is not a file we should read whole into memory.</summary>
    private const long MaxFileBytes = 10 * 1024 * 1024;

    private enum Outcome { Imported, Skipped, Failed }

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string? userName = null;
        if (args.Length == 4 && args[2] == "--user")
        {
            userName = args[3];
        }
        else if (args.Length != 2)
        {
            await error.WriteLineAsync(UsageLine);
            return 2;
        }
        var folder = args[1];
        if (!Directory.Exists(folder))
        {
            await error.WriteLineAsync($"{folder}: no such folder. Give the original AI-Orchestra's data folder, the one holding workflows/, prompts/ and logs/.");
            return 2;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        // the server may never have run against this database: same folder, permissions and schema as its start-up
        StoreExtensions.EnsureDataFolder(db.Database.GetConnectionString());
        await db.Database.MigrateAsync(cancellationToken);
        var owner = await FindOwnerAsync(scope.ServiceProvider, db, userName, cancellationToken);
        if (owner.Problem is not null)
        {
            await error.WriteLineAsync(owner.Problem);
            return 2;
        }
        await output.WriteLineAsync($"Importing {Path.GetFullPath(folder)} into the account '{owner.Name}'.");

        var import = new Import(scope.ServiceProvider, db, owner.Id!, output);
        await import.FolderAsync(folder, "workflows", import.WorkflowAsync, cancellationToken);
        await import.FolderAsync(folder, "prompts", import.PromptAsync, cancellationToken);
        await import.FolderAsync(folder, "logs", import.LogAsync, cancellationToken);

        await output.WriteLineAsync($"{import.Count(Outcome.Imported)} imported, {import.Count(Outcome.Skipped)} skipped, {import.Count(Outcome.Failed)} failed.");
        return import.Count(Outcome.Failed) > 0 ? 1 : 0;
    }

    private static async Task<(string? Id, string? Name, string? Problem)> FindOwnerAsync(
        IServiceProvider services, AppDbContext db, string? userName, CancellationToken cancellationToken)
    {
        if (userName is not null)
        {
            var user = await services.GetRequiredService<UserManager<AppUser>>().FindByNameAsync(userName);
            return user is null
                ? (null, null, $"There is no account '{userName}'. Create it on the dashboard first, or leave out --user to import into the administrator's account.")
                : (user.Id, user.UserName, null);
        }
        // the administrator is the first account (see History.Administrators)
        var firstId = await db.Database.SqlQueryRaw<string>(services.GetRequiredService<StoreSql>().FirstUserId).ToListAsync(cancellationToken);
        var first = firstId.Count == 1 ? await db.Users.AsNoTracking().SingleAsync(u => u.Id == firstId[0], cancellationToken) : null;
        return first is null
            ? (null, null, "The database has no account yet. Start the server once and create the administrator, then import again.")
            : (first.Id, first.UserName, null);
    }

    private sealed class Import(IServiceProvider services, AppDbContext db, string ownerId, TextWriter output)
    {
        private readonly Dictionary<Outcome, int> _counts = new();

        public int Count(Outcome outcome) => _counts.GetValueOrDefault(outcome);

        public async Task FolderAsync(string root, string name, Func<string, JsonObject, CancellationToken, Task<(Outcome, string)>> importFile, CancellationToken cancellationToken)
        {
            var folder = Path.Combine(root, name);
            if (!Directory.Exists(folder))
            {
                await output.WriteLineAsync($"{name}/: not found, nothing to import.");
                return;
            }
            foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                var shown = Path.Combine(name, Path.GetFileName(file));
                var (outcome, reason) = await OneFileAsync(file, importFile, cancellationToken);
                _counts[outcome] = Count(outcome) + 1;
                await output.WriteLineAsync($"{shown}: {outcome.ToString().ToLowerInvariant()} — {reason}");
            }
        }

        private static async Task<(Outcome, string)> OneFileAsync(
            string file, Func<string, JsonObject, CancellationToken, Task<(Outcome, string)>> importFile, CancellationToken cancellationToken)
        {
            if (new FileInfo(file).Length > MaxFileBytes)
            {
                return (Outcome.Failed, $"larger than {MaxFileBytes / (1024 * 1024)} MB; not read.");
            }
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken));
            }
            catch (JsonException e)
            {
                return (Outcome.Failed, $"not valid JSON ({e.Message}); fix or remove the file.");
            }
            if (node is not JsonObject obj)
            {
                return (Outcome.Failed, "is not a JSON object; expected one workflow, prompt or run log per file.");
            }
            try
            {
                return await importFile(Path.GetFileNameWithoutExtension(file), obj, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                return (Outcome.Failed, e.Message);
            }
            catch (DbUpdateException e)
            {
                // nothing of this file was written: its save was one transaction
                return (Outcome.Failed, $"not stored: {(e.InnerException ?? e).Message}");
            }
        }

        public async Task<(Outcome, string)> WorkflowAsync(string fileName, JsonObject obj, CancellationToken cancellationToken)
        {
            var parsed = WorkflowJson.Parse(obj.ToJsonString());
            var errors = services.GetRequiredService<WorkflowValidator>().Validate(parsed);
            if (errors.Count > 0)
            {
                return (Outcome.Failed, string.Join("; ", errors));
            }
            var workflow = parsed.Workflow!;
            var store = services.GetRequiredService<WorkflowStore>();
            var current = await store.GetAsync(ownerId, workflow.WorkflowId, cancellationToken);
            if (current is not null && WorkflowJson.Serialize(current.Workflow, indented: false) == WorkflowJson.Serialize(workflow, indented: false))
            {
                return (Outcome.Skipped, $"workflow '{workflow.WorkflowId}' unchanged (version {current.Version}).");
            }
            var saved = await store.SaveAsync(ownerId, workflow, SaveMode.CreateOrReplace, null, cancellationToken);
            if (saved.Saved is null)
            {
                return (Outcome.Failed, saved.Errors.Count > 0 ? string.Join("; ", saved.Errors) : $"not saved ({saved.Outcome}); run the import again.");
            }
            return (Outcome.Imported, current is null
                ? $"workflow '{workflow.WorkflowId}' created."
                : $"workflow '{workflow.WorkflowId}' differs from the stored one; saved as version {saved.Saved.Version}.");
        }

        public async Task<(Outcome, string)> PromptAsync(string fileName, JsonObject obj, CancellationToken cancellationToken)
        {
            var prompt = PromptDocument.Read(obj, "prompt", fallbackId: fileName);
            var errors = PromptStore.Validate(prompt);
            if (errors.Count > 0)
            {
                return (Outcome.Failed, string.Join("; ", errors));
            }
            var store = services.GetRequiredService<PromptStore>();
            var existing = await store.GetAsync(ownerId, prompt.TemplateId, cancellationToken);
            if (existing is not null)
            {
                return Same(existing.Prompt, prompt)
                    ? (Outcome.Skipped, $"prompt '{prompt.TemplateId}' unchanged.")
                    : (Outcome.Skipped, $"prompt '{prompt.TemplateId}' exists and differs; not replaced (edit it on the dashboard, or delete it and import again).");
            }
            var saved = await store.SaveAsync(ownerId, prompt, SaveMode.Create, cancellationToken);
            return saved.Saved is null
                ? (Outcome.Failed, saved.Errors.Count > 0 ? string.Join("; ", saved.Errors) : $"not saved ({saved.Outcome}); run the import again.")
                : (Outcome.Imported, $"prompt '{prompt.TemplateId}' created.");
        }

        private static bool Same(PromptTemplate a, PromptTemplate b) =>
            a.Name == b.Name && a.Description == b.Description && a.Template == b.Template && a.SystemPrompt == b.SystemPrompt
            && a.Model == b.Model && a.Temperature == b.Temperature;

        public async Task<(Outcome, string)> LogAsync(string fileName, JsonObject obj, CancellationToken cancellationToken)
        {
            var runId = Text(obj, "execution_id") ?? throw new InvalidDataException("no 'execution_id': a run log needs the id of its run.");
            if (runId.Length is 0 or > 36)
            {
                throw new InvalidDataException($"'execution_id' '{runId}' must be 1 to 36 characters.");
            }
            var workflowId = Text(obj, "workflow_id") ?? throw new InvalidDataException("no 'workflow_id': a run log names the workflow it ran.");
            var status = RunStatusOf(Text(obj, "status") ?? throw new InvalidDataException("no 'status' (success or failed)."), "status");
            var timestamp = Timestamp(obj);
            if (await db.Runs.AsNoTracking().AnyAsync(r => r.Id == runId, cancellationToken))
            {
                return (Outcome.Skipped, $"run '{runId}' already imported.");
            }
            var workflow = await db.Workflows.AsNoTracking()
                .Where(w => w.OwnerId == ownerId && w.WorkflowId == workflowId && w.DeletedAt == null)
                .Select(w => new { w.Id, w.CurrentVersion, VersionId = w.Versions.Where(v => v.Number == w.CurrentVersion).Select(v => v.Id).First() })
                .FirstOrDefaultAsync(cancellationToken);
            if (workflow is null)
            {
                return (Outcome.Skipped, $"workflow '{workflowId}' is not in the account; import or create it first, then import again.");
            }

            var run = new Run
            {
                Id = runId,
                OwnerId = ownerId,
                WorkflowRecordId = workflow.Id,
                WorkflowVersionId = workflow.VersionId,
                WorkflowId = workflowId,
                WorkflowVersionNumber = workflow.CurrentVersion,
                Status = status,
                Origin = RunOrigin.Import,
                Inputs = obj["inputs"] is JsonObject inputs ? inputs.ToJsonString() : "{}",
                Error = Text(obj, "error"),
                CreatedAt = timestamp,
                StartedAt = timestamp,
                FinishedAt = timestamp,
            };
            var steps = obj["steps"] switch
            {
                null => [],
                JsonArray array => array,
                _ => throw new InvalidDataException("'steps' must be a list of {step_id, status, output, duration_ms}."),
            };
            for (var index = 0; index < steps.Count; index++)
            {
                run.Steps.Add(Step(steps[index], index, timestamp));
            }
            // the run and its steps commit together or not at all
            db.Runs.Add(run);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
            return (Outcome.Imported, $"run '{runId}' of '{workflowId}' with {run.Steps.Count} step(s).");
        }

        private static RunStep Step(JsonNode? node, int index, DateTimeOffset timestamp)
        {
            var path = $"steps[{index}]";
            if (node is not JsonObject step)
            {
                throw new InvalidDataException($"{path}: must be an object {{step_id, status, output, duration_ms}}.");
            }
            var stepId = Text(step, "step_id", path) ?? throw new InvalidDataException($"{path}: no 'step_id'.");
            if (stepId.Length is 0 or > 64)
            {
                throw new InvalidDataException($"{path}.step_id: must be 1 to 64 characters.");
            }
            var duration = step["duration_ms"] switch
            {
                null => 0L,
                JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var ms) && ms >= 0 => ms,
                JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var ms) && ms >= 0 => (long)ms,
                _ => throw new InvalidDataException($"{path}.duration_ms: must be a number of milliseconds, 0 or more."),
            };
            return new RunStep
            {
                Index = index,
                StepId = stepId,
                Status = StepStatusOf(Text(step, "status", path) ?? throw new InvalidDataException($"{path}: no 'status'."), $"{path}.status"),
                Output = step["output"]?.ToJsonString(),
                Error = Text(step, "error", path),
                Attempts = 1,
                DurationMs = duration,
                StartedAt = timestamp,
                FinishedAt = timestamp,
            };
        }

        private static RunStatus RunStatusOf(string text, string path) => text switch
        {
            "success" or "succeeded" or "completed" => RunStatus.Succeeded,
            "failed" or "failure" or "error" => RunStatus.Failed,
            "cancelled" => RunStatus.Cancelled,
            _ => throw new InvalidDataException($"{path}: '{text}' is not a finished run's status; use success, failed or cancelled."),
        };

        private static StepStatus StepStatusOf(string text, string path) => text switch
        {
            "success" or "succeeded" or "completed" => StepStatus.Succeeded,
            "failed" or "failure" or "error" => StepStatus.Failed,
            "cancelled" => StepStatus.Cancelled,
            "skipped" => StepStatus.Skipped,
            _ => throw new InvalidDataException($"{path}: '{text}' is not a finished step's status; use success, failed, cancelled or skipped."),
        };

        private static DateTimeOffset Timestamp(JsonObject obj)
        {
            var text = Text(obj, "timestamp") ?? throw new InvalidDataException("no 'timestamp': a run log says when it ran.");
            // the original wrote Python's isoformat() without an offset: that is UTC
            return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
                ? time.ToUniversalTime()
                : throw new InvalidDataException($"timestamp: '{text}' is not a date and time such as 2024-05-01T12:30:00.");
        }

        private static string? Text(JsonObject obj, string field, string? path = null) => obj[field] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new InvalidDataException($"{(path is null ? "" : path + ".")}{field}: must be text."),
        };
    }
}
