using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>when, for_each and depends_on in the executor, alone and combined, and resumed after a crash.</summary>
public sealed class ControlFlowTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public async Task A_false_condition_skips_the_step_its_output_is_null_and_a_reference_to_it_renders_empty()
    {
        var notify = new FakeStep("notify", _ => "sent");
        var request = Run(
            Step("triage", "template", new JsonObject { ["text"] = "{{important}}" }),
            Step("notify", "notify") with { When = "{{triage_output}} == 'yes'" },
            Step("report", "template", new JsonObject { ["text"] = "notified: [{{notify_output}}]" })) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["important"] = "no" },
        };

        var result = await Executor(notify).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal(0, notify.Calls);
        Assert.Equal([StepStatus.Succeeded, StepStatus.Skipped, StepStatus.Succeeded], result.Steps.Select(s => s.Status));
        Assert.Null(result.Steps[1].Output);
        Assert.Equal("notified: []", result.Outputs["report"]!.GetValue<string>());
        Assert.False(result.Outputs.ContainsKey("notify"));
        // a skipped step never started: only its finish is recorded
        Assert.DoesNotContain("started notify #1 attempt 1", _journal.Events);
        Assert.Contains("finished notify Skipped", _journal.Events);
    }

    [Fact]
    public async Task A_true_condition_runs_the_step()
    {
        var notify = new FakeStep("notify", _ => "sent");
        var request = Run(Step("notify", "notify") with { When = "important == 'yes'" }) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["important"] = "yes" },
        };

        var result = await Executor(notify).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(1, notify.Calls);
        Assert.Equal("sent", result.Outputs["notify"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_condition_that_cannot_be_evaluated_fails_the_step_with_the_reason()
    {
        var notify = new FakeStep("notify", _ => "sent");
        var request = Run(Step("notify", "notify") with { When = "score > 5" }) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["score"] = "high" },
        };

        var result = await Executor(notify).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(0, notify.Calls);
        Assert.Equal(
            ["step 'notify' failed: when: the condition '>' compares two numbers or two texts, but got a string (\"high\") > a number (5)"],
            result.Errors);
    }

    [Fact]
    public async Task A_loop_runs_once_per_item_with_item_and_item_index_and_outputs_the_list_in_order()
    {
        var request = Run(
            Step("list", "producer"),
            Step("each", "template", new JsonObject { ["text"] = "{{item_index}}:{{item.name}}" }) with { ForEach = "{{list_output}}" },
            Step("after", "template", new JsonObject { ["text"] = "{{each_output[2]}}" }));
        var producer = new FakeStep("producer", _ => JsonNode.Parse("""[{"name": "a"}, {"name": "b"}, {"name": "c"}]"""));

        var result = await Executor(producer).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.Equal("""["0:a","1:b","2:c"]""", result.Outputs["each"]!.ToJsonString());
        Assert.Equal("2:c", result.Outputs["after"]!.GetValue<string>());
        Assert.Equal(3, result.Steps[1].Attempts);
        Assert.Equal([0, 1, 2], _journal.Items.Select(i => i.ItemIndex));
        Assert.All(_journal.Items, i => Assert.Equal(("each", 1), (i.StepId, i.StepIndex)));
        // each item is recorded before the loop step finishes
        var events = _journal.Events.ToList();
        Assert.True(events.IndexOf("item each[2] Succeeded") < events.IndexOf("finished each Succeeded"));
    }

    [Fact]
    public async Task A_loop_over_a_literal_list_passes_each_item_with_its_type()
    {
        var seen = new List<string>();
        var step = new FakeStep("echo", call => { lock (seen) { seen.Add(call.Parameters["value"]!.ToJsonString()); } return call.Parameters["value"]!.DeepClone(); });

        var result = await Executor(step).ExecuteAsync(
            Run(Step("each", "echo", new JsonObject { ["value"] = "{{item}}" }) with { ForEach = JsonNode.Parse("""[1, {"a": true}, "x"]""") }),
            _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal(["1", """{"a":true}""", "\"x\""], seen);
        Assert.Equal("""[1,{"a":true},"x"]""", result.Outputs["each"]!.ToJsonString());
    }

    [Fact]
    public async Task A_loop_runs_at_most_concurrency_items_at_once()
    {
        var inFlight = 0;
        var most = 0;
        var threeRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var step = new FakeStep("slow", async (call, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now == 3)
            {
                threeRunning.TrySetResult();
            }
            await threeRunning.Task.WaitAsync(ct);
            Interlocked.Decrement(ref inFlight);
            return call.Parameters["n"]!.DeepClone();
        });

        var result = await Executor(step).ExecuteAsync(
            Run(Step("each", "slow", new JsonObject { ["n"] = "{{item}}" }) with { ForEach = JsonNode.Parse("[1,2,3,4,5,6,7,8]"), Concurrency = 3 }),
            _journal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Success);
        Assert.Equal(3, most);
        Assert.Equal("[1,2,3,4,5,6,7,8]", result.Outputs["each"]!.ToJsonString());
    }

    [Fact]
    public async Task Loop_concurrency_is_capped_by_the_hosts_limit()
    {
        var inFlight = 0;
        var most = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var step = new FakeStep("slow", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now == 2)
            {
                twoRunning.TrySetResult();
            }
            await twoRunning.Task.WaitAsync(ct);
            Interlocked.Decrement(ref inFlight);
            return "ok";
        });
        var result = await new WorkflowExecutor(new StepCatalog([step]), _time) { Limits = new ExecutionLimits { MaxConcurrency = 2 } }.ExecuteAsync(
            Run(Step("each", "slow") with { ForEach = JsonNode.Parse("[1,2,3,4,5]"), Concurrency = 50 }),
            _journal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Success);
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task A_loop_over_something_that_is_not_a_list_fails_the_step_with_what_it_got()
    {
        var step = new FakeStep("any", _ => "ok");
        var request = Run(Step("each", "any") with { ForEach = "{{source}}" }) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["source"] = "not a list" },
        };

        var result = await Executor(step).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(0, step.Calls);
        Assert.Equal(["step 'each' failed: for_each: expected a list of items, got a string (\"not a list\")"], result.Errors);
    }

    [Fact]
    public async Task A_loop_over_more_items_than_the_limit_fails_without_calling_any()
    {
        var step = new FakeStep("any", _ => "ok");
        var request = Run(Step("each", "any") with { ForEach = "{{source}}" }) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["source"] = new JsonArray(Enumerable.Range(0, 1_000_000).Select(i => (JsonNode?)i).ToArray()) },
        };

        var result = await Executor(step).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(0, step.Calls);
        Assert.Equal(
            ["step 'each' failed: for_each: the list has 1000000 items, over the limit of 1000 per loop (Runs__MaxLoopItems); filter the list in an earlier step or split the work"],
            result.Errors);
    }

    [Fact]
    public async Task On_error_continue_applies_per_item_the_other_items_run_and_the_list_keeps_their_outputs()
    {
        var step = new FakeStep("picky", call => call.Parameters["n"]!.GetValue<int>() % 2 == 0 ? throw new StepFailedException("even") : call.Parameters["n"]!.DeepClone());
        var request = Run(
            Step("each", "picky", new JsonObject { ["n"] = "{{item}}" }, onError: OnError.Continue) with { ForEach = JsonNode.Parse("[1,2,3,4,5]") },
            Step("after", "template", new JsonObject { ["text"] = "{{each_output}}" }));

        var result = await Executor(step).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal(5, step.Calls);
        Assert.Equal(StepStatus.Failed, result.Steps[0].Status);
        Assert.Equal("[1,null,3,null,5]", result.Steps[0].Output!.ToJsonString());
        Assert.Equal(["step 'each' failed: 2 of 5 items failed: item 1: even; item 3: even"], result.Errors);
        Assert.Equal("[1,null,3,null,5]", result.Outputs["after"]!.GetValue<string>());
        Assert.Equal(5, _journal.Items.Count);
    }

    [Fact]
    public async Task A_failing_item_aborts_the_loop_and_the_run_when_on_error_is_abort()
    {
        var step = new FakeStep("picky", call => call.Parameters["n"]!.GetValue<int>() == 2 ? throw new StepFailedException("two") : "ok");
        var after = new FakeStep("after", _ => "never");

        var result = await Executor(step, after).ExecuteAsync(
            Run(Step("each", "picky", new JsonObject { ["n"] = "{{item}}" }) with { ForEach = JsonNode.Parse("[1,2,3,4]") }, Step("next", "after")),
            _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(2, step.Calls);
        Assert.Equal(0, after.Calls);
        Assert.Equal(["step 'each' failed: 1 of 4 items failed: item 1: two"], result.Errors);
    }

    [Fact]
    public async Task A_resumed_loop_does_not_call_a_finished_item_again()
    {
        var called = new List<int>();
        var step = new FakeStep("echo", call => { lock (called) { called.Add(call.Parameters["n"]!.GetValue<int>()); } return $"new {call.Parameters["n"]}"; });
        var request = Run(Step("each", "echo", new JsonObject { ["n"] = "{{item}}" }) with { ForEach = JsonNode.Parse("[0,1,2,3]"), Concurrency = 2 }) with
        {
            FinishedItems =
            [
                Item("each", 0, 0, "old 0"),
                Item("each", 0, 2, "old 2"),
                Item("other", 5, 1, "not this step"),
            ],
        };

        var result = await Executor(step).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal([1, 3], called.Order());
        Assert.Equal("""["old 0","new 1","old 2","new 3"]""", result.Outputs["each"]!.ToJsonString());
        Assert.Equal([1, 3], _journal.Items.Select(i => i.ItemIndex).Order());
    }

    [Fact]
    public async Task A_cancelled_loop_does_not_record_the_item_in_flight()
    {
        using var cancel = new CancellationTokenSource();
        var step = new FakeStep("slow", async (call, ct) =>
        {
            if (call.Parameters["n"]!.GetValue<int>() == 1)
            {
                await cancel.CancelAsync();
                return await FakeStep.Hang(ct);
            }
            return "ok";
        });

        var result = await Executor(step).ExecuteAsync(
            Run(Step("each", "slow", new JsonObject { ["n"] = "{{item}}" }) with { ForEach = JsonNode.Parse("[0,1,2]") }),
            _journal, cancel.Token);

        Assert.True(result.Cancelled);
        Assert.Equal(StepStatus.Cancelled, result.Steps[0].Status);
        Assert.Equal([0], _journal.Items.Select(i => i.ItemIndex));
    }

    [Fact]
    public async Task A_loop_inside_a_condition_runs_only_when_the_condition_holds()
    {
        var step = new FakeStep("echo", call => call.Parameters["n"]!.DeepClone());
        WorkflowStep Loop() => Step("each", "echo", new JsonObject { ["n"] = "{{item}}" }) with { ForEach = "{{numbers}}", When = "length(numbers) > 2" };

        var few = await Executor(step).ExecuteAsync(Run(Loop()) with { Inputs = new Dictionary<string, JsonNode?> { ["numbers"] = JsonNode.Parse("[1,2]") } }, _journal, CancellationToken.None);
        var many = await Executor(step).ExecuteAsync(Run(Loop()) with { Inputs = new Dictionary<string, JsonNode?> { ["numbers"] = JsonNode.Parse("[1,2,3]") } }, _journal, CancellationToken.None);

        Assert.Equal(StepStatus.Skipped, few.Steps[0].Status);
        Assert.Equal("[1,2,3]", many.Outputs["each"]!.ToJsonString());
        Assert.Equal(3, step.Calls);
    }

    [Fact]
    public async Task Steps_whose_dependencies_are_met_run_at_once_and_a_fan_in_step_reads_every_branch()
    {
        // b and c each wait until the other has started: they finish only if they run at the same time
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var b = new FakeStep("b", async (_, ct) => { bStarted.TrySetResult(); await cStarted.Task.WaitAsync(ct); return "B"; });
        var c = new FakeStep("c", async (_, ct) => { cStarted.TrySetResult(); await bStarted.Task.WaitAsync(ct); return "C"; });
        var request = Run(
            Step("a", "template", new JsonObject { ["text"] = "A" }),
            Step("b", "b") with { DependsOn = ["a"] },
            Step("c", "c") with { DependsOn = ["a"] },
            Step("d", "template", new JsonObject { ["text"] = "{{a_output}}{{b_output}}{{c_output}}" }) with { DependsOn = ["b", "c"] });

        var result = await Executor(b, c).ExecuteAsync(request, _journal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.Equal("ABC", result.Outputs["d"]!.GetValue<string>());
        Assert.Equal(["a", "b", "c", "d"], result.Steps.Select(s => s.StepId));
        var events = _journal.Events.ToList();
        Assert.True(events.IndexOf("finished a Succeeded") < events.IndexOf("started b #1 attempt 1"));
        Assert.True(events.IndexOf("finished b Succeeded") < events.IndexOf("started d #3 attempt 1"));
        Assert.True(events.IndexOf("finished c Succeeded") < events.IndexOf("started d #3 attempt 1"));
    }

    [Fact]
    public async Task Parallel_branches_are_capped_by_the_hosts_limit()
    {
        var inFlight = 0;
        var most = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var step = new FakeStep("slow", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now == 2)
            {
                twoRunning.TrySetResult();
            }
            await twoRunning.Task.WaitAsync(ct);
            Interlocked.Decrement(ref inFlight);
            return "ok";
        });
        var steps = new List<WorkflowStep> { Step("start", "template", new JsonObject { ["text"] = "go" }) };
        steps.AddRange(Enumerable.Range(0, 6).Select(i => Step($"branch{i}", "slow") with { DependsOn = ["start"] }));
        var executor = new WorkflowExecutor(new StepCatalog([step, new TemplateStep()]), _time) { Limits = new ExecutionLimits { MaxConcurrency = 2 } };

        var result = await executor.ExecuteAsync(Run([.. steps]), _journal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Success);
        Assert.Equal(6, step.Calls);
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task A_failing_branch_that_aborts_starts_nothing_new_but_lets_the_branch_in_flight_finish()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new FakeStep("slow", async (_, ct) => { await release.Task.WaitAsync(ct); return "slow done"; });
        var broken = new FakeStep("broken", _ => { release.TrySetResult(); throw new StepFailedException("boom"); });
        var join = new FakeStep("join", _ => "never");
        var request = Run(
            Step("a", "template", new JsonObject { ["text"] = "A" }),
            Step("b", "slow") with { DependsOn = ["a"] },
            Step("c", "broken") with { DependsOn = ["a"] },
            Step("d", "join") with { DependsOn = ["b", "c"] });

        var result = await Executor(slow, broken, join).ExecuteAsync(request, _journal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(result.Success);
        Assert.Equal(0, join.Calls);
        Assert.Equal(["a", "b", "c"], result.Steps.Select(s => s.StepId));
        Assert.Equal("slow done", result.Steps[1].Output!.GetValue<string>());
        Assert.Equal(["step 'c' failed: boom"], result.Errors);
    }

    [Fact]
    public async Task A_resumed_fan_out_does_not_call_a_finished_branch_again()
    {
        var b = new FakeStep("b", _ => "new B");
        var c = new FakeStep("c", _ => "new C");
        var request = Run(
            Step("a", "template", new JsonObject { ["text"] = "A" }),
            Step("b", "b") with { DependsOn = ["a"] },
            Step("c", "c") with { DependsOn = ["a"] },
            Step("d", "template", new JsonObject { ["text"] = "{{b_output}}+{{c_output}}" }) with { DependsOn = ["b", "c"] }) with
        {
            FinishedSteps = [Finished("a", 0, "old A"), Finished("c", 2, "old C")],
        };

        var result = await Executor(b, c).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal((1, 0), (b.Calls, c.Calls));
        Assert.Equal("new B+old C", result.Outputs["d"]!.GetValue<string>());
        Assert.Equal(["started b #1 attempt 1", "finished b Succeeded", "started d #3 attempt 1", "finished d Succeeded"], _journal.Events);
    }

    [Fact]
    public async Task A_skipped_branch_still_lets_the_steps_after_it_run()
    {
        var request = Run(
            Step("a", "template", new JsonObject { ["text"] = "A" }),
            Step("b", "template", new JsonObject { ["text"] = "B" }) with { DependsOn = ["a"], When = "false" },
            Step("c", "template", new JsonObject { ["text"] = "[{{b_output}}]" }) with { DependsOn = ["a", "b"] });

        var result = await Executor().ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal("[]", result.Outputs["c"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_loop_per_branch_runs_inside_a_fan_out()
    {
        var echo = new FakeStep("echo", call => call.Parameters["v"]!.DeepClone());
        var request = Run(
            Step("a", "template", new JsonObject { ["text"] = "A" }),
            Step("left", "echo", new JsonObject { ["v"] = "L{{item}}" }) with { DependsOn = ["a"], ForEach = JsonNode.Parse("[1,2]") },
            Step("right", "echo", new JsonObject { ["v"] = "R{{item}}" }) with { DependsOn = ["a"], ForEach = JsonNode.Parse("[1,2,3]"), Concurrency = 3 },
            Step("join", "template", new JsonObject { ["text"] = "{{left_output}}{{right_output}}" }) with { DependsOn = ["left", "right"] });

        var result = await Executor(echo).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal("""["L1","L2"]["R1","R2","R3"]""", result.Outputs["join"]!.GetValue<string>());
        Assert.Equal(5, _journal.Items.Count);
    }

    [Fact]
    public async Task A_loops_condition_that_reads_the_item_is_tested_per_item_and_a_false_item_is_skipped()
    {
        var save = new FakeStep("save", call => $"page for {call.Parameters["subject"]}");
        var request = Run(
            Step("triage", "template", new JsonObject { ["text"] = "{{item.important}}" }) with { ForEach = "{{mails}}" },
            Step("pages", "save", new JsonObject { ["subject"] = "{{item.subject}}" }) with
            {
                ForEach = "{{mails}}",
                When = "at(triage_output, item_index) == 'true'",
            }) with
        {
            Inputs = new Dictionary<string, JsonNode?>
            {
                ["mails"] = JsonNode.Parse("""[{"subject": "a", "important": true}, {"subject": "b", "important": false}, {"subject": "c", "important": true}]"""),
            },
        };

        var result = await Executor(save).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.Equal(2, save.Calls);
        Assert.Equal("""["page for a",null,"page for c"]""", result.Outputs["pages"]!.ToJsonString());
        Assert.Contains("item pages[1] Skipped", _journal.Events);
    }

    [Fact]
    public async Task A_resumed_loop_does_not_test_or_call_an_item_recorded_as_skipped()
    {
        var save = new FakeStep("save", _ => "new");
        var request = Run(Step("pages", "save") with { ForEach = JsonNode.Parse("[1, 2]"), When = "item > 0" }) with
        {
            FinishedItems = [new ItemRecord { StepId = "pages", StepIndex = 0, ItemIndex = 0, Status = StepStatus.Skipped }],
        };

        var result = await Executor(save).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(1, save.Calls);
        Assert.Equal("""[null,"new"]""", result.Outputs["pages"]!.ToJsonString());
    }

    [Fact]
    public async Task A_loop_reports_its_progress_when_it_starts_and_after_each_item_counting_items_a_resumed_run_had_finished()
    {
        var save = new FakeStep("save", _ => "new");
        var request = Run(Step("first", "template", new JsonObject { ["text"] = "x" }), Step("pages", "save") with { ForEach = JsonNode.Parse("[1, 2, 3]") }) with
        {
            FinishedItems = [new ItemRecord { StepId = "pages", StepIndex = 1, ItemIndex = 0, Status = StepStatus.Succeeded, Output = "old" }],
        };

        await Executor(save).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(["pages #1: 1 of 3", "pages #1: 2 of 3", "pages #1: 3 of 3"], _journal.Progress);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static ItemRecord Item(string stepId, int stepIndex, int itemIndex, string output) => new()
    {
        StepId = stepId, StepIndex = stepIndex, ItemIndex = itemIndex, Status = StepStatus.Succeeded, Output = output, Attempts = 1,
    };

    private static StepRecord Finished(string stepId, int index, string output) => new()
    {
        StepId = stepId, Index = index, Status = StepStatus.Succeeded, Output = output, Attempts = 1,
    };

    private WorkflowExecutor Executor(params IStepType[] types) =>
        new(new StepCatalog([.. types, new TemplateStep()]), _time, new FixedRandom(1.0));

    private static RunRequest Run(params WorkflowStep[] steps) =>
        new() { RunId = "run-1", OwnerId = "owner-1", Workflow = new Workflow { WorkflowId = "wf", Steps = steps } };

    private static WorkflowStep Step(string id, string type, JsonObject? parameters = null, OnError onError = OnError.Abort) => new()
    {
        StepId = id,
        StepType = type,
        Action = type == "template" ? "render" : "run",
        Parameters = parameters ?? [],
        OnError = onError,
    };
}
