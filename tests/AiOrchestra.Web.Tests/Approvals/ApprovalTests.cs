using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Approvals;

/// <summary>approval and wait steps on the real host: the run waits in the database, holding no slot, and goes on when answered or due.</summary>
public sealed class ApprovalTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeSteps _steps = new() { Blocking = false };

    public void Dispose() => _database.Dispose();

    private const string Review = """
        {"workflow_id": "publish", "steps": [
          {"step_id": "draft", "step_type": "fake", "action": "echo", "parameters": {"text": "the draft"}},
          {"step_id": "review", "step_type": "approval", "action": "request", "parameters": {"message": "Publish {{draft_output}}?", "timeout_hours": 2}},
          {"step_id": "publish", "step_type": "fake", "action": "echo", "parameters": {"text": "published, approved by {{review_output.by}} ({{review_output.comment}})"}}
        ]}
        """;

    private ApprovalHost Host(Dictionary<string, string?>? settings = null) => new(_database, _time, _steps, settings);

    [Fact]
    public async Task An_approval_waits_without_a_slot_then_approving_it_through_the_api_finishes_the_run_with_the_answer_as_output()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        var runId = await host.EnqueueAsync(owner, "publish");

        var waiting = await host.SettledAsync(owner, runId);
        Assert.Equal(RunStatus.Waiting, waiting.Run.Status);
        Assert.Null(waiting.Run.LeaseOwner);
        Assert.Equal(["succeeded", "waiting"], waiting.Steps.Select(s => WorkflowResultJson.StatusName(s.Status)));
        var wait = await host.WithDbAsync(db => db.RunWaits.SingleAsync(w => w.RunId == runId));
        Assert.Equal(("review", RunWait.Approval, "Publish the draft?"), (wait.StepId, wait.Kind, wait.Message));
        Assert.Equal(_time.GetUtcNow().AddHours(2).ToUnixTimeMilliseconds(), wait.DueAt.ToUnixTimeMilliseconds());
        // the API's event stream of a waiting run ends with run-waiting, naming the step
        var events = await api.GetStringAsync($"/api/runs/{runId}/events");
        Assert.EndsWith("event: run-waiting", events.Trim().Split("\n\n")[^1].Split('\n')[0]);
        Assert.Contains("\"step_id\":\"review\"", events.Trim().Split("\n\n")[^1]);
        // listed as waiting by the API
        var listed = await (await api.GetAsync("/api/runs?status=waiting")).JsonAsync();
        Assert.Equal(runId, Assert.Single(listed["runs"]!.AsArray())!["run_id"]!.GetValue<string>());

        var approved = await api.PostAsync($"/api/runs/{runId}/approve", ApiFactory.Json("""{"comment": "looks good"}"""));
        var answer = await approved.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(("review", true, "admin", "looks good"), (answer["step_id"]!.GetValue<string>(), answer["output"]!["approved"]!.GetValue<bool>(),
            answer["output"]!["by"]!.GetValue<string>(), answer["output"]!["comment"]!.GetValue<string>()));

        var finished = await host.UntilAsync(owner, runId, RunStatus.Succeeded);
        Assert.Equal(["succeeded", "succeeded", "succeeded"], finished.Steps.Select(s => WorkflowResultJson.StatusName(s.Status)));
        var output = JsonNode.Parse(finished.Steps[1].Output!)!;
        Assert.True(output["approved"]!.GetValue<bool>());
        Assert.NotNull(output["at"]);
        Assert.Equal("\"published, approved by admin (looks good)\"", finished.Steps[2].Output);
        // the finished draft step was not called again when the run resumed
        Assert.Equal(1, _steps.Calls(runId, "draft"));
        Assert.Empty(await host.WithDbAsync(db => db.RunWaits.ToListAsync()));

        // twice: 409 with the reason
        var again = await (await api.PostAsync($"/api/runs/{runId}/approve", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal($"Run '{runId}' is not waiting for approval: it has finished (succeeded).", again["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_approvals_waiting_at_once_are_answered_by_step_id_and_an_answer_without_one_is_refused_as_ambiguous()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, """
            {"workflow_id": "two-reviews", "steps": [
              {"step_id": "draft", "step_type": "fake", "action": "echo", "parameters": {"text": "the draft"}},
              {"step_id": "legal", "step_type": "approval", "action": "request", "parameters": {"message": "Legal ok?"}, "depends_on": ["draft"]},
              {"step_id": "brand", "step_type": "approval", "action": "request", "parameters": {"message": "Brand ok?"}, "depends_on": ["draft"]},
              {"step_id": "publish", "step_type": "fake", "action": "echo", "parameters": {"text": "legal: {{legal_output.comment}}, brand: {{brand_output.comment}}"}, "depends_on": ["legal", "brand"]}
            ]}
            """);
        var runId = await host.EnqueueAsync(owner, "two-reviews");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);
        Assert.Equal(["brand", "legal"], (await host.WithDbAsync(db => db.RunWaits.Where(w => w.RunId == runId).Select(w => w.StepId).ToListAsync())).Order());

        var ambiguous = await (await api.PostAsync($"/api/runs/{runId}/approve", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal($"Run '{runId}' waits for 2 approvals (legal, brand); name the one you answer with step_id.", ambiguous["detail"]!.GetValue<string>());
        var unknown = await (await api.PostAsync($"/api/runs/{runId}/reject", ApiFactory.Json("""{"step_id": "draft"}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("'draft' is not an approval this run waits for; it waits for: legal, brand.", unknown["errors"]!["step_id"]![0]!.GetValue<string>());
        Assert.Equal(2, await host.WithDbAsync(db => db.RunWaits.CountAsync(w => w.RunId == runId)));

        var brand = await api.PostAsync($"/api/runs/{runId}/approve", ApiFactory.Json("""{"step_id": "brand", "comment": "on brand"}"""));
        Assert.Equal(HttpStatusCode.OK, brand.StatusCode);
        Assert.Equal("brand", (await brand.JsonAsync())["step_id"]!.GetValue<string>());

        // the run goes on and waits again, now for legal only: no step_id is needed
        var again = await host.UntilAsync(owner, runId, RunStatus.Waiting);
        Assert.Equal((StepStatus.Waiting, StepStatus.Succeeded), (again.Steps.Single(s => s.StepId == "legal").Status, again.Steps.Single(s => s.StepId == "brand").Status));
        var legal = await api.PostAsync($"/api/runs/{runId}/approve", ApiFactory.Json("""{"comment": "fine"}"""));
        Assert.Equal("legal", (await legal.JsonAsync())["step_id"]!.GetValue<string>());

        var finished = await host.UntilAsync(owner, runId, RunStatus.Succeeded);
        Assert.Equal("\"legal: fine, brand: on brand\"", finished.Steps.Single(s => s.StepId == "publish").Output);
        Assert.Equal(1, _steps.Calls(runId, "draft"));
    }

    [Fact]
    public async Task Rejecting_fails_the_step_with_who_and_why_and_keeps_approved_false_as_its_output()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        var runId = await host.EnqueueAsync(owner, "publish");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);

        var rejected = await api.PostAsync($"/api/runs/{runId}/reject", ApiFactory.Json("""{"comment": "not yet"}"""));
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);

        var failed = await host.UntilAsync(owner, runId, RunStatus.Failed);
        Assert.Equal("step 'review' failed: rejected by admin: not yet", failed.Run.Error);
        Assert.Equal(StepStatus.Failed, failed.Steps[1].Status);
        Assert.False(JsonNode.Parse(failed.Steps[1].Output!)!["approved"]!.GetValue<bool>());
        Assert.Equal(0, _steps.Calls(runId, "publish"));
    }

    [Fact]
    public async Task Unknown_runs_other_users_runs_runs_not_waiting_and_long_comments_are_refused()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        await host.SaveAsync(owner, """{"workflow_id": "plain", "steps": [{"step_id": "a", "step_type": "fake", "action": "echo", "parameters": {"text": "x"}}]}""");
        await host.SaveAsync(owner, """{"workflow_id": "sleepy", "steps": [{"step_id": "nap", "step_type": "wait", "action": "for", "parameters": {"seconds": 600}}]}""");
        var waiting = await host.EnqueueAsync(owner, "publish");
        var done = await host.EnqueueAsync(owner, "plain");
        var sleeping = await host.EnqueueAsync(owner, "sleepy");
        await host.SettledAsync(owner, waiting);
        await host.SettledAsync(owner, done);
        await host.SettledAsync(owner, sleeping);

        await (await api.PostAsync("/api/runs/no-such-run/approve", null)).ProblemAsync(HttpStatusCode.NotFound);
        var stranger = await host.ApiAsync("mallory");
        await (await stranger.PostAsync($"/api/runs/{waiting}/approve", null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.PostAsync($"/api/runs/{waiting}/reject", null)).ProblemAsync(HttpStatusCode.NotFound);
        var notWaiting = await (await api.PostAsync($"/api/runs/{done}/approve", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal($"Run '{done}' is not waiting for approval: it has finished (succeeded).", notWaiting["detail"]!.GetValue<string>());
        var notApproval = await (await api.PostAsync($"/api/runs/{sleeping}/approve", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal($"Run '{sleeping}' is waiting for a wait step's time, not for an approval; cancel it to stop it.", notApproval["detail"]!.GetValue<string>());
        var tooLong = await api.PostAsync($"/api/runs/{waiting}/approve", ApiFactory.Json($$"""{"comment": "{{new string('x', 2001)}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);

        // none of that touched the waiting run
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, waiting)).Run.Status);
    }

    [Fact]
    public async Task An_approval_nobody_answers_fails_its_step_when_it_times_out()
    {
        await using var host = Host();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        var runId = await host.EnqueueAsync(owner, "publish");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);

        _time.Advance(TimeSpan.FromMinutes(119));
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);
        _time.Advance(TimeSpan.FromMinutes(2));

        var failed = await host.UntilAsync(owner, runId, RunStatus.Failed);
        Assert.StartsWith("step 'review' failed: timed out: nobody approved or rejected it within 2 hours (timeout_hours), by ", failed.Run.Error);
        Assert.Equal(0, _steps.Calls(runId, "publish"));
    }

    [Fact]
    public async Task Wait_for_and_wait_until_go_on_when_their_time_comes()
    {
        await using var host = Host();
        var owner = await host.AdminIdAsync();
        var until = _time.GetUtcNow().AddHours(3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        await host.SaveAsync(owner, $$$"""
            {"workflow_id": "later", "steps": [
              {"step_id": "nap", "step_type": "wait", "action": "for", "parameters": {"seconds": 90}},
              {"step_id": "sleep", "step_type": "wait", "action": "until", "parameters": {"time": "{{{until}}}"}},
              {"step_id": "wake", "step_type": "fake", "action": "echo", "parameters": {"text": "awake"}}
            ]}
            """);
        var runId = await host.EnqueueAsync(owner, "later");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);

        _time.Advance(TimeSpan.FromSeconds(91));
        var second = await host.UntilAsync(owner, runId, RunStatus.Waiting);
        while (second.Steps.Count < 2 || second.Steps[1].Status != StepStatus.Waiting)
        {
            second = await host.UntilAsync(owner, runId, RunStatus.Waiting);
        }
        Assert.Equal(StepStatus.Succeeded, second.Steps[0].Status);
        Assert.Equal(0, _steps.Calls(runId, "wake"));

        _time.Advance(TimeSpan.FromHours(3));
        var finished = await host.UntilAsync(owner, runId, RunStatus.Succeeded);
        Assert.Equal("\"awake\"", finished.Steps[2].Output);
    }

    [Fact]
    public async Task A_wait_and_an_approval_survive_a_restart_of_the_host()
    {
        string owner, sleeping, reviewing;
        await using (var first = Host())
        {
            owner = await first.AdminIdAsync();
            await first.SaveAsync(owner, Review);
            await first.SaveAsync(owner, """{"workflow_id": "sleepy", "steps": [{"step_id": "nap", "step_type": "wait", "action": "for", "parameters": {"seconds": 600}}, {"step_id": "wake", "step_type": "fake", "action": "echo", "parameters": {"text": "awake"}}]}""");
            sleeping = await first.EnqueueAsync(owner, "sleepy");
            reviewing = await first.EnqueueAsync(owner, "publish");
            Assert.Equal(RunStatus.Waiting, (await first.SettledAsync(owner, sleeping)).Run.Status);
            Assert.Equal(RunStatus.Waiting, (await first.SettledAsync(owner, reviewing)).Run.Status);
        }

        // a new process on the same file: nothing of the waits was in the first one's memory
        await using var second = Host();
        var api = await second.ApiAsync();
        _time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal("\"awake\"", (await second.UntilAsync(owner, sleeping, RunStatus.Succeeded)).Steps[1].Output);

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/runs/{reviewing}/approve", null)).StatusCode);
        var approved = await second.UntilAsync(owner, reviewing, RunStatus.Succeeded);
        Assert.Equal(1, _steps.Calls(reviewing, "draft"));
        Assert.Equal(1, _steps.Calls(reviewing, "publish"));
        Assert.Equal("\"published, approved by admin ()\"", approved.Steps[2].Output);
    }

    [Fact]
    public async Task A_waiting_run_holds_no_slot_so_with_one_slot_another_run_finishes_meanwhile()
    {
        await using var host = Host(new() { ["Runs:Concurrency"] = "1", ["Runs:MaxShare"] = "1" });
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        await host.SaveAsync(owner, """{"workflow_id": "plain", "steps": [{"step_id": "a", "step_type": "fake", "action": "echo", "parameters": {"text": "x"}}]}""");
        var waiting = await host.EnqueueAsync(owner, "publish");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, waiting)).Run.Status);

        var other = await host.EnqueueAsync(owner, "plain");

        Assert.Equal(RunStatus.Succeeded, (await host.SettledAsync(owner, other)).Run.Status);
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, waiting)).Run.Status);
    }

    [Fact]
    public async Task Cancelling_a_waiting_run_cancels_it_at_once_and_its_wait_is_gone()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Review);
        var runId = await host.EnqueueAsync(owner, "publish");
        Assert.Equal(RunStatus.Waiting, (await host.SettledAsync(owner, runId)).Run.Status);

        var cancelled = await api.PostAsync($"/api/runs/{runId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var run = await host.SettledAsync(owner, runId);
        Assert.Equal(RunStatus.Cancelled, run.Run.Status);
        Assert.Equal(StepStatus.Cancelled, run.Steps[1].Status);
        Assert.Empty(await host.WithDbAsync(db => db.RunWaits.ToListAsync()));
        await (await api.PostAsync($"/api/runs/{runId}/approve", null)).ProblemAsync(HttpStatusCode.Conflict);
        _time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(RunStatus.Cancelled, (await host.SettledAsync(owner, runId)).Run.Status);
    }
}
