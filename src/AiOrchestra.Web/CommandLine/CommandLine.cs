using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Settings;
using AiOrchestra.Web.Triggers;

namespace AiOrchestra.Web.CommandLine;

/// <summary>
/// The executable's script mode: <c>validate FILE</c>, <c>run FILE [--var k=v ...]</c>, <c>backup FILE</c> and <c>import DIR</c>.
/// It uses the same step catalog and executor as the server, in-process, without touching the database.
/// </summary>
public static class WorkflowCommands
{
    private const string Usage = """
        usage:
          AiOrchestra.Web validate FILE                  check a workflow file, print every error
          AiOrchestra.Web run FILE [--var name=value]... run a workflow in-process, print the result JSON
          AiOrchestra.Web backup FILE                    copy the database to a new FILE, safe while the app runs
          AiOrchestra.Web import DIR [--user NAME]       import an AI-Orchestra (Python) data folder into an account
        """;

    // terminal output, not HTML: keep quotes and accents readable
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "validate" or "run" or History.BackupCommand.Name or Original.ImportCommand.Name;

    /// <summary>
    /// Runs the command with the app's own step catalog and executor. Prompt templates come from
    /// <c>data/examples/prompts/</c> (there is no user and no database here); logs go to standard error at Warning.
    /// </summary>
    public static async Task<int> RunCommandAsync(this WebApplicationBuilder builder, string[] args)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var prompts = Path.Combine(builder.Environment.ContentRootPath, "data", "examples", "prompts");
        builder.Services.AddSingleton<IPromptLibrary>(new PromptFolder(prompts));
        if (args[0] == Original.ImportCommand.Name)
        {
            // saving a workflow syncs its triggers, whose webhook secrets are protected with the server's own keys;
            // the host is never started, so the scheduler and poller stay idle
            builder.AddDataProtectionKeys();
            builder.AddTriggers();
        }
        await using var app = builder.Build();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return await RunAsync(app.Services, args, Console.Out, Console.Error, stop.Token);
    }

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args.Length > 0 && args[0] == History.BackupCommand.Name)
        {
            return await History.BackupCommand.RunAsync(services, args, output, error, cancellationToken);
        }
        if (args.Length > 0 && args[0] == Original.ImportCommand.Name)
        {
            return await Original.ImportCommand.RunAsync(services, args, output, error, cancellationToken);
        }
        if (args.Length < 2)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }
        var file = args[1];
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"{file}: no such file. Give the path of a workflow JSON file, e.g. data/examples/workflows/offline_release_notes.json.");
            return 2;
        }
        var catalog = services.GetRequiredService<StepCatalog>();
        var workflow = await ReadValidAsync(file, catalog, error, cancellationToken);
        if (workflow is null)
        {
            return 1;
        }
        if (args[0] == "validate")
        {
            await output.WriteLineAsync($"{file}: valid ({workflow.Steps.Count} step(s)).");
            return 0;
        }

        var inputs = ParseVariables(args.AsSpan(2), error);
        if (inputs is null)
        {
            return 2;
        }
        var inputErrors = WorkflowValidator.ValidateInputs(workflow, inputs);
        if (inputErrors.Count > 0)
        {
            await PrintErrorsAsync(file, inputErrors, error);
            return 1;
        }
        var executor = services.GetRequiredService<WorkflowExecutor>();
        var request = new RunRequest
        {
            RunId = $"cli-{Guid.CreateVersion7()}",
            OwnerId = "",
            Workflow = workflow,
            Inputs = inputs,
        };
        var result = await executor.ExecuteAsync(request, new ProgressJournal(error), cancellationToken);
        await output.WriteLineAsync(WorkflowResultJson.ToJson(result).ToJsonString(Indented));
        if (result.Waiting is { } waiting)
        {
            // nobody can answer or keep the wait here: the server keeps it in its database
            await error.WriteLineAsync($"step '{waiting.StepId}' waits ({waiting.Wait?.Kind.ToString().ToLowerInvariant()}); approval and wait steps pause a run on the server, run the workflow there.");
        }
        return result.Success ? 0 : 1;
    }

    private static async Task<Workflow?> ReadValidAsync(string file, StepCatalog catalog, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = WorkflowJson.Parse(await File.ReadAllTextAsync(file, cancellationToken));
        // the reader's errors and the validator's on what could be read, all at once
        var errors = new WorkflowValidator(catalog).Validate(parsed);
        if (errors.Count > 0)
        {
            await PrintErrorsAsync(file, errors, error);
            return null;
        }
        return parsed.Workflow;
    }

    private static async Task PrintErrorsAsync(string file, IReadOnlyList<ValidationError> errors, TextWriter error)
    {
        foreach (var problem in errors)
        {
            await error.WriteLineAsync($"{file}: {problem}");
        }
        await error.WriteLineAsync($"{errors.Count} error(s).");
    }

    /// <summary>Reads <c>--var name=value</c> pairs; a value that is valid JSON (42, true, [1,2]) keeps its type, anything else is text.</summary>
    private static Dictionary<string, JsonNode?>? ParseVariables(ReadOnlySpan<string> args, TextWriter error)
    {
        var inputs = new Dictionary<string, JsonNode?>();
        for (var i = 0; i < args.Length; i++)
        {
            var pair = args[i] == "--var" && i + 1 < args.Length ? args[++i] : null;
            var equals = pair?.IndexOf('=') ?? -1;
            if (pair is null || equals <= 0)
            {
                error.WriteLine($"'{args[i]}' is not understood: pass run inputs as --var name=value.");
                return null;
            }
            inputs[pair[..equals]] = ParseValue(pair[(equals + 1)..]);
        }
        return inputs;
    }

    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text) ?? JsonValue.Create(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>Prints each step's progress to standard error so standard output stays pure JSON.</summary>
    private sealed class ProgressJournal(TextWriter error) : IRunJournal
    {
        public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
        {
            error.WriteLine(attempt == 1 ? $"▶ {stepId}" : $"↻ {stepId} (attempt {attempt})");
            return ValueTask.CompletedTask;
        }

        public ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken)
        {
            var status = WorkflowResultJson.StatusName(step.Status);
            error.WriteLine($"  {step.StepId}: {status} in {step.DurationMs} ms{(step.Error is null ? "" : $" — {step.Error}")}");
            return ValueTask.CompletedTask;
        }

        public ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken)
        {
            var status = WorkflowResultJson.StatusName(item.Status);
            error.WriteLine($"  {item.StepId}[{item.ItemIndex}]: {status} in {item.DurationMs} ms{(item.Error is null ? "" : $" — {item.Error}")}");
            return ValueTask.CompletedTask;
        }

        public void StepDelta(string stepId, string text)
        {
        }
    }
}
