using AiOrchestra.Web.Projects;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Ledger;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>Two of the user's runs side by side: inputs, each step's status, output, tokens, cost and duration.</summary>
[ProjectRights(ProjectRole.Operator)]
public sealed class CompareModel(RunStore runs) : PageModel
{
    /// <summary>How much of an output a cell shows; the rest is behind the link to the full output.</summary>
    public const int ShownOutputChars = 4000;

    private static readonly JsonSerializerOptions Readable = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [BindProperty(SupportsGet = true, Name = "a")]
    public string? A { get; set; }

    [BindProperty(SupportsGet = true, Name = "b")]
    public string? B { get; set; }

    /// <summary>The two runs; null until both ids name runs of the user.</summary>
    public (ComparedRun Left, ComparedRun Right)? Runs { get; private set; }

    /// <summary>One line per step id of either run, in step order.</summary>
    public IReadOnlyList<string> StepIds { get; private set; } = [];

    /// <summary>Why there is nothing to compare yet (an id missing or not found); null when both runs are shown.</summary>
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(A) || string.IsNullOrWhiteSpace(B))
        {
            Problem = "Give two run ids to compare (the id is shown under a run's title).";
            return Page();
        }
        var left = await runs.GetAsync(User.OwnerId(), A.Trim(), cancellationToken);
        var right = await runs.GetAsync(User.OwnerId(), B.Trim(), cancellationToken);
        if (left is null || right is null)
        {
            Problem = $"There is no run '{(left is null ? A : B)}' of yours; check the id on the Logs page.";
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        Runs = (Compared(left), Compared(right));
        StepIds = left.Steps.Concat(right.Steps).OrderBy(s => s.Index).Select(s => s.StepId).Distinct(StringComparer.Ordinal).ToList();
        return Page();
    }

    private static ComparedRun Compared(RunDetails details)
    {
        var run = details.Run;
        var steps = details.Steps.ToDictionary(s => s.StepId, StringComparer.Ordinal);
        return new ComparedRun(
            run, JsonNode.Parse(run.Inputs)?.ToJsonString(Readable) ?? "{}", steps, RunLedger.Of(details.Steps).Totals,
            run.StartedAt is { } started && run.FinishedAt is { } finished ? (long)(finished - started).TotalMilliseconds : null);
    }

    /// <summary>An output as a cell shows it: text as itself, anything else as indented JSON, cut after <see cref="ShownOutputChars"/>.</summary>
    public static (string Text, bool Cut) Shown(RunStep step)
    {
        var value = step.Output is null ? null : JsonNode.Parse(step.Output);
        var text = value is JsonValue plain && plain.TryGetValue<string>(out var s) ? s : value?.ToJsonString(Readable) ?? "";
        return text.Length > ShownOutputChars ? (text[..ShownOutputChars], true) : (text, false);
    }

    public static LedgerTotals? StepTotals(RunStep step) => step.Ledger is null ? null : LedgerTotals.Of(JsonNode.Parse(step.Ledger));

    public static string Status(RunStep step) => WorkflowResultJson.StatusName(step.Status);
}

/// <summary>One side of the comparison.</summary>
public sealed record ComparedRun(Run Run, string Inputs, IReadOnlyDictionary<string, RunStep> Steps, LedgerTotals Totals, long? DurationMs);
