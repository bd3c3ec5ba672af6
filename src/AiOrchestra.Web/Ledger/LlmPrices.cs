using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Ledger;

/// <summary>
/// Prices LLM calls from the <c>Pricing</c> table and writes a step's ledger as it is stored: each call with its
/// <c>cost</c> (null when the model has no price), and the step's totals.
/// </summary>
public sealed class LlmPrices(IOptions<PricingOptions> options)
{
    private readonly Dictionary<string, ModelPrice> _models = new(options.Value.Models, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The price of <paramref name="answered"/> (the model the provider says answered), else of <paramref name="requested"/>,
    /// else of the longest listed name the answered model starts with (<c>gpt-4o-mini</c> prices <c>gpt-4o-mini-2024-07-18</c>).
    /// </summary>
    public ModelPrice? Find(string requested, string? answered)
    {
        if (answered is not null && _models.TryGetValue(answered, out var price))
        {
            return price;
        }
        if (_models.TryGetValue(requested, out price))
        {
            return price;
        }
        var name = answered ?? requested;
        ModelPrice? longest = null;
        var longestName = 0;
        foreach (var (listed, listedPrice) in _models)
        {
            if (listed.Length > longestName && name.StartsWith(listed, StringComparison.OrdinalIgnoreCase))
            {
                (longest, longestName) = (listedPrice, listed.Length);
            }
        }
        return longest;
    }

    public decimal? CostOf(LlmCall call) => Find(call.ModelRequested, call.ModelAnswered) is { } price
        ? ((call.InputTokens ?? 0) * price.InputPerMillion + (call.OutputTokens ?? 0) * price.OutputPerMillion) / 1_000_000m
        : null;

    /// <summary>The step's ledger as stored, and its totals (null when the step made no LLM call).</summary>
    public (JsonObject Json, LedgerTotals? Totals) Priced(StepLedger ledger)
    {
        var json = ledger.ToJson();
        if (ledger.Calls.Count == 0)
        {
            return (json, null);
        }
        var calls = (JsonArray)json["calls"]!;
        var totals = new LedgerTotals();
        for (var i = 0; i < ledger.Calls.Count; i++)
        {
            var cost = CostOf(ledger.Calls[i]);
            calls[i]!["cost"] = cost;
            totals = totals.Add(ledger.Calls[i].InputTokens ?? 0, ledger.Calls[i].OutputTokens ?? 0, cost);
        }
        json["calls_count"] = totals.Calls;
        json["input_tokens"] = totals.InputTokens;
        json["output_tokens"] = totals.OutputTokens;
        json["cost"] = totals.Cost;
        json["unpriced_calls"] = totals.UnpricedCalls;
        return (json, totals);
    }
}

/// <summary>LLM calls added up (a step's, a run's, a workflow's day): tokens, cost of the priced calls, and how many had no price.</summary>
public sealed record LedgerTotals(int Calls = 0, long InputTokens = 0, long OutputTokens = 0, decimal Cost = 0, int UnpricedCalls = 0)
{
    public LedgerTotals Add(long input, long output, decimal? cost) =>
        new(Calls + 1, InputTokens + input, OutputTokens + output, Cost + (cost ?? 0), UnpricedCalls + (cost is null ? 1 : 0));

    public LedgerTotals Add(LedgerTotals other) => new(
        Calls + other.Calls, InputTokens + other.InputTokens, OutputTokens + other.OutputTokens, Cost + other.Cost, UnpricedCalls + other.UnpricedCalls);

    /// <summary>The totals a stored step ledger (as <see cref="LlmPrices.Priced"/> wrote it) carries; null for one without calls.</summary>
    public static LedgerTotals? Of(JsonNode? ledger) => ledger?["calls_count"] is JsonValue count && count.GetValue<int>() > 0
        ? new LedgerTotals(
            count.GetValue<int>(), ledger["input_tokens"]?.GetValue<long>() ?? 0, ledger["output_tokens"]?.GetValue<long>() ?? 0,
            ledger["cost"]?.GetValue<decimal>() ?? 0, ledger["unpriced_calls"]?.GetValue<int>() ?? 0)
        : null;
}
