using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Data;

/// <summary>
/// A step's LLM ledger as the run history stores it: without what reading can put back (the step's totals, which are
/// its calls added up; empty prompt lists; a call's null settings and defaults), about 150 bytes less for one call.
/// Reading gives the ledger as <see cref="Ledger.LlmPrices.Priced"/> wrote it, keys in the same order, so the run page
/// and the API show what they showed. A ledger stored whole (before this form) reads as it was.
/// </summary>
internal static class StoredLedger
{
    // the call's keys in StepLedger's order, each with what is left out when stored (null: left out when null)
    private static readonly (string Key, JsonNode? Default)[] CallKeys =
    [
        ("provider", null), ("model_requested", null), ("model_answered", null), ("temperature", null), ("max_tokens", null),
        ("first_message", 0), ("messages", null), ("finish_reason", null), ("input_tokens", null), ("output_tokens", null),
        ("streamed", false), ("cost", null),
    ];

    private static readonly string[] TotalKeys = ["calls_count", "input_tokens", "output_tokens", "cost", "unpriced_calls"];

    /// <summary>The ledger to store: its whole JSON text less what <see cref="Read"/> puts back.</summary>
    public static string? Write(string? ledger)
    {
        if (ledger is null || JsonNode.Parse(ledger) is not JsonObject whole)
        {
            return ledger;
        }
        return Compact(whole).ToJsonString();
    }

    /// <summary>The ledger less what <see cref="Read"/> puts back (the object is changed).</summary>
    public static JsonObject Compact(JsonObject whole)
    {
        if (whole["prompts"] is JsonArray { Count: 0 })
        {
            whole.Remove("prompts");
        }
        foreach (var key in TotalKeys)
        {
            whole.Remove(key);
        }
        if (whole["calls"] is JsonArray calls)
        {
            foreach (var call in calls.OfType<JsonObject>())
            {
                foreach (var (key, fallback) in CallKeys)
                {
                    if (call.TryGetPropertyValue(key, out var value) && JsonNode.DeepEquals(value, fallback))
                    {
                        call.Remove(key);
                    }
                }
            }
        }
        return whole;
    }

    /// <summary>The ledger as it was written, from what <see cref="Write"/> stored (or a ledger stored whole).</summary>
    public static string? Read(string? stored)
    {
        // a whole ledger with calls carries its totals; one without calls is rebuilt as it was
        if (stored is null || stored.Contains("\"calls_count\"", StringComparison.Ordinal) || JsonNode.Parse(stored) is not JsonObject compact)
        {
            return stored;
        }
        var calls = new JsonArray();
        var whole = new JsonObject { ["prompts"] = compact["prompts"]?.DeepClone() ?? new JsonArray(), ["calls"] = calls };
        foreach (var call in (compact["calls"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var restored = new JsonObject();
            foreach (var (key, fallback) in CallKeys)
            {
                restored[key] = call.TryGetPropertyValue(key, out var value) ? value?.DeepClone() : fallback?.DeepClone();
            }
            foreach (var (key, value) in call)
            {
                if (!restored.ContainsKey(key))
                {
                    restored[key] = value?.DeepClone();
                }
            }
            calls.Add(restored);
        }
        if (calls.Count > 0)
        {
            // as LlmPrices.Priced adds them up
            var totals = new Ledger.LedgerTotals();
            foreach (var call in calls)
            {
                totals = totals.Add(call!["input_tokens"]?.GetValue<long>() ?? 0, call["output_tokens"]?.GetValue<long>() ?? 0, call["cost"]?.GetValue<decimal>());
            }
            whole["calls_count"] = totals.Calls;
            whole["input_tokens"] = totals.InputTokens;
            whole["output_tokens"] = totals.OutputTokens;
            whole["cost"] = totals.Cost;
            whole["unpriced_calls"] = totals.UnpricedCalls;
        }
        foreach (var (key, value) in compact)
        {
            // anything else a later version wrote stays, after the keys above
            if (!whole.ContainsKey(key))
            {
                whole[key] = value?.DeepClone();
            }
        }
        return whole.ToJsonString();
    }
}
