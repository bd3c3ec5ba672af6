using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Bench;

/// <summary>
/// Issue 12's control-flow measures: a 100-item <c>for_each</c> of template steps, and a 10-branch parallel fan-out
/// (one step, ten steps waiting for it, one step waiting for the ten), each driven through the execute API.
/// </summary>
internal sealed partial class Scenarios
{
    public const string LoopWorkflow = "bench_loop";
    public const string FanOutWorkflow = "bench_fanout";
    public const int LoopItems = 100;
    public const int Branches = 10;

    /// <summary>Saves both workflows and runs each once, checking every item and branch reached the output.</summary>
    public async Task PrepareFlowAsync()
    {
        var items = new JsonArray(Enumerable.Range(0, LoopItems).Select(i => (JsonNode?)JsonValue.Create($"item {i}")).ToArray());
        await CreateAsync(api, new JsonObject
        {
            ["workflow_id"] = LoopWorkflow,
            ["name"] = $"Bench: a {LoopItems}-item for_each of template steps",
            ["steps"] = new JsonArray(
                new JsonObject
                {
                    ["step_id"] = "each", ["step_type"] = "template", ["action"] = "render", ["for_each"] = "{{items}}",
                    ["parameters"] = new JsonObject { ["text"] = "{{item_index}}: {{item}} ({{topic}})" },
                },
                new JsonObject
                {
                    ["step_id"] = "count", ["step_type"] = "template", ["action"] = "render",
                    ["parameters"] = new JsonObject { ["text"] = "last: {{each_output[99]}}" },
                }),
            ["variables"] = new JsonObject { ["items"] = items, ["topic"] = "loop" },
        }.ToJsonString());

        var steps = new JsonArray(new JsonObject
        {
            ["step_id"] = "start", ["step_type"] = "template", ["action"] = "render",
            ["parameters"] = new JsonObject { ["text"] = "fan out on {{topic}}" },
        });
        for (var branch = 0; branch < Branches; branch++)
        {
            steps.Add(new JsonObject
            {
                ["step_id"] = $"branch{branch}", ["step_type"] = "template", ["action"] = "render", ["depends_on"] = new JsonArray("start"),
                ["parameters"] = new JsonObject { ["text"] = $"branch {branch} of {{{{start_output}}}}" },
            });
        }
        steps.Add(new JsonObject
        {
            ["step_id"] = "join", ["step_type"] = "template", ["action"] = "render",
            ["depends_on"] = new JsonArray(Enumerable.Range(0, Branches).Select(b => (JsonNode?)JsonValue.Create($"branch{b}")).ToArray()),
            ["parameters"] = new JsonObject { ["text"] = string.Concat(Enumerable.Range(0, Branches).Select(b => $"{{{{branch{b}_output}}}};")) },
        });
        await CreateAsync(api, new JsonObject
        {
            ["workflow_id"] = FanOutWorkflow,
            ["name"] = $"Bench: a {Branches}-branch parallel fan-out and a join",
            ["steps"] = steps,
            ["variables"] = new JsonObject { ["topic"] = "fan-out" },
        }.ToJsonString());

        var loop = await ExecuteOnceAsync(LoopWorkflow);
        if (loop?["outputs"]?["count"]?.GetValue<string>() is not { } last || !last.Contains("99: item 99", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The loop workflow did not answer as expected: {loop?.ToJsonString()}");
        }
        var fanOut = await ExecuteOnceAsync(FanOutWorkflow);
        if (fanOut?["outputs"]?["join"]?.GetValue<string>() is not { } joined || joined.Split(';').Count(p => p.StartsWith("branch ", StringComparison.Ordinal)) != Branches)
        {
            throw new InvalidOperationException($"The fan-out workflow did not answer as expected: {fanOut?.ToJsonString()}");
        }
    }

    private async Task<JsonNode?> ExecuteOnceAsync(string workflowId)
    {
        using var response = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId, wait = true });
        return JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }
}
