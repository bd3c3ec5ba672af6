using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Ledger;

/// <summary>One step's ledger as the run page shows it: the stored ledger JSON (see <see cref="LlmPrices.Priced"/>).</summary>
public sealed record StepLedgerView(string StepId, int Index, JsonObject Ledger)
{
    public JsonArray Prompts => Ledger["prompts"] as JsonArray ?? [];

    public JsonArray Calls => Ledger["calls"] as JsonArray ?? [];
}

/// <summary>A run's ledger: each step that rendered a prompt or called a model, and the run's totals.</summary>
public sealed record RunLedger(IReadOnlyList<StepLedgerView> Steps, LedgerTotals Totals)
{
    public bool IsEmpty => Steps.Count == 0;

    public static RunLedger Of(IEnumerable<RunStep> steps)
    {
        var views = new List<StepLedgerView>();
        var totals = new LedgerTotals();
        foreach (var step in steps.Where(s => s.Ledger is not null).OrderBy(s => s.Index))
        {
            if (JsonNode.Parse(step.Ledger!) is JsonObject ledger)
            {
                views.Add(new StepLedgerView(step.StepId, step.Index, ledger));
                if (LedgerTotals.Of(ledger) is { } stepTotals)
                {
                    totals = totals.Add(stepTotals);
                }
            }
        }
        return new RunLedger(views, totals);
    }

    /// <summary>A cost as shown: four decimals, the table's currency unnamed.</summary>
    public static string Money(decimal cost) => cost.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
}
