using System.Data.Common;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Runs;

/// <summary>A wait that is due: a wait step whose time has come, or an approval nobody answered in time.</summary>
internal sealed record DueWait(string RunId, int StepIndex, string StepId, string Kind, DateTimeOffset DueAt, DateTimeOffset CreatedAt);

/// <summary>
/// The statements of approvals and waits, run by the run writer on its connection and inside its batches, so pausing,
/// answering, a due time and a cancel of the same run never interleave. A wait is only acted on while its run is
/// <c>waiting</c>: answering or waking a wait writes the step's result and queues the run again.
/// </summary>
internal sealed class RunWaitSql : IDisposable
{
    private readonly RunSql.Statement _pause;
    private readonly RunSql.Statement _insertWait;
    private readonly RunSql.Statement _runStatus;
    private readonly RunSql.Statement _approvals;
    private readonly RunSql.Statement _finishStep;
    private readonly RunSql.Statement _deleteWait;
    private readonly RunSql.Statement _requeue;
    private readonly RunSql.Statement _due;
    private readonly RunSql.Statement _nextDue;
    private readonly RunSql.Statement _cancelRun;
    private readonly RunSql.Statement _cancelSteps;
    private readonly RunSql.Statement _deleteWaits;
    private readonly List<RunSql.Statement> _all = [];

    internal IEnumerable<string> Texts => _all.Select(s => s.Command.CommandText);

    public RunWaitSql(DbConnection connection)
    {
        RunSql.Statement Prepare(string sql, params string[] parameters)
        {
            var statement = new RunSql.Statement(connection, sql, parameters);
            _all.Add(statement);
            return statement;
        }

        // a cancel asked for while the run was on its way to pausing wins: the worker then finishes it as cancelled
        _pause = Prepare(
            """
            UPDATE runs SET status = 'waiting', lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @id AND status = 'running' AND lease_owner = @worker AND cancel_requested = @false
            """,
            "@id", "@worker", "@false");
        // a step that waits again after its run resumed (a parallel branch's wait) keeps its first due time
        _insertWait = Prepare(
            """
            INSERT INTO run_waits (run_id, step_index, step_id, kind, message, due_at, created_at)
            VALUES (@run, @index, @step, @kind, @message, @due, @now)
            ON CONFLICT (run_id, step_index) DO NOTHING
            """,
            "@run", "@index", "@step", "@kind", "@message", "@due", "@now");
        _runStatus = Prepare("SELECT status FROM runs WHERE id = @id AND owner_id = @owner", "@id", "@owner");
        _approvals = Prepare("SELECT step_index, step_id FROM run_waits WHERE run_id = @id AND kind = 'approval' ORDER BY step_index", "@id");
        _finishStep = Prepare(
            """
            UPDATE run_steps SET status = @status, output = @output, error = @error, finished_at = @now,
                                 duration_ms = @now - COALESCE(started_at, @now), finished_event = NULL
            WHERE run_key = (SELECT key FROM runs WHERE id = @run) AND step_index = @index
            """,
            "@status", "@output", "@error", "@now", "@run", "@index");
        _deleteWait = Prepare("DELETE FROM run_waits WHERE run_id = @run AND step_index = @index", "@run", "@index");
        _requeue = Prepare("UPDATE runs SET status = 'queued' WHERE id = @id AND status = 'waiting'", "@id");
        _due = Prepare(
            """
            SELECT w.run_id, w.step_index, w.step_id, w.kind, w.due_at, w.created_at FROM run_waits w JOIN runs r ON r.id = w.run_id
            WHERE w.due_at <= @now AND r.status = 'waiting' ORDER BY w.due_at LIMIT @limit
            """,
            "@now", "@limit");
        _nextDue = Prepare("SELECT MIN(w.due_at) FROM run_waits w JOIN runs r ON r.id = w.run_id WHERE r.status = 'waiting'");
        _cancelRun = Prepare(
            """
            UPDATE runs SET status = 'cancelled', cancel_requested = @true, error = 'Cancelled.', finished_at = @now
            WHERE id = @id AND owner_id = @owner AND status = 'waiting'
            """,
            "@true", "@now", "@id", "@owner");
        _cancelSteps = Prepare(
            "UPDATE run_steps SET status = 'cancelled', error = 'the run was cancelled while this step waited', finished_at = @now WHERE run_key = (SELECT key FROM runs WHERE id = @id) AND status = 'waiting'",
            "@now", "@id");
        _deleteWaits = Prepare("DELETE FROM run_waits WHERE run_id = @id", "@id");
    }

    public void Use(DbTransaction? transaction)
    {
        foreach (var statement in _all)
        {
            statement.Command.Transaction = transaction;
        }
    }

    /// <summary>
    /// The run leaves this worker as <c>waiting</c> and its waiting steps are kept. False when it could not: a cancel
    /// was asked for meanwhile, or another worker holds the run now.
    /// </summary>
    public bool Pause(string runId, string worker, IReadOnlyList<StepRecord> waiting, DateTimeOffset now)
    {
        if (_pause.Execute(runId, worker, false) == 0)
        {
            return false;
        }
        foreach (var step in waiting)
        {
            var wait = step.Wait!;
            _insertWait.Execute(runId, step.Index, step.StepId, wait.Kind == WaitKind.Approval ? RunWait.Approval : RunWait.Time, wait.Message,
                wait.DueAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
        }
        return true;
    }

    /// <summary>
    /// Approves or rejects the owner's run's waiting approval <paramref name="stepId"/>, or its only one when none is
    /// named, and queues the run to go on. Two approvals waiting at once (parallel branches) must be told apart by name.
    /// </summary>
    public AnswerResult Answer(string ownerId, string runId, string? stepId, bool approved, string by, string? comment, DateTimeOffset now)
    {
        var status = _runStatus.Bind(runId, ownerId).ExecuteScalar() as string;
        if (status is null)
        {
            return new AnswerResult(AnswerOutcome.NotFound);
        }
        if (status != RunStatus.Waiting.ToText())
        {
            return new AnswerResult(AnswerOutcome.NotWaiting, RunStatus: status);
        }
        var waiting = new List<(int Index, string StepId)>();
        using (var reader = _approvals.Bind(runId).ExecuteReader())
        {
            while (reader.Read())
            {
                waiting.Add((reader.GetInt32(0), reader.GetString(1)));
            }
        }
        var names = waiting.Select(w => w.StepId).ToList();
        if (waiting.Count == 0)
        {
            return new AnswerResult(AnswerOutcome.NoApproval, RunStatus: status);
        }
        if (stepId is null && waiting.Count > 1)
        {
            return new AnswerResult(AnswerOutcome.Ambiguous, RunStatus: status, Waiting: names);
        }
        var found = stepId is null ? waiting[0] : waiting.Find(w => w.StepId == stepId);
        if (found.StepId is null)
        {
            return new AnswerResult(AnswerOutcome.NotAWaitingApproval, stepId, RunStatus: status, Waiting: names);
        }
        var index = found.Index;
        stepId = found.StepId;
        var output = ApprovalOutput.Create(approved, by, comment, now);
        var error = approved ? null : $"rejected by {by}{(string.IsNullOrWhiteSpace(comment) ? "" : $": {comment}")}";
        Resolve(runId, index, approved ? StepStatus.Succeeded : StepStatus.Failed, output.ToJsonString(), error, now);
        return new AnswerResult(approved ? AnswerOutcome.Approved : AnswerOutcome.Rejected, stepId, output);
    }

    /// <summary>
    /// Ends up to <paramref name="limit"/> waits due at <paramref name="now"/>: a wait step succeeds, an approval fails
    /// as timed out; each run is queued to go on. Returns how many, and when the next wait is due.
    /// </summary>
    public (int Woken, DateTimeOffset? NextDue) WakeDue(DateTimeOffset now, int limit)
    {
        var due = new List<DueWait>();
        using (var reader = _due.Bind(now.ToUnixTimeMilliseconds(), limit).ExecuteReader())
        {
            while (reader.Read())
            {
                due.Add(new DueWait(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
            }
        }
        foreach (var wait in due)
        {
            if (wait.Kind == RunWait.Approval)
            {
                var hours = (wait.DueAt - wait.CreatedAt).TotalHours;
                Resolve(wait.RunId, wait.StepIndex, StepStatus.Failed, null,
                    $"timed out: nobody approved or rejected it within {hours:0.##} hours (timeout_hours), by {wait.DueAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC", now);
            }
            else
            {
                Resolve(wait.RunId, wait.StepIndex, StepStatus.Succeeded, null, null, now);
            }
        }
        var next = _nextDue.Bind().ExecuteScalar();
        return (due.Count, next is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
    }

    /// <summary>Cancels the owner's waiting run at once: its waits go, its waiting steps are cancelled. False when it is not waiting.</summary>
    public bool Cancel(string ownerId, string runId, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (_cancelRun.Execute(true, nowMs, runId, ownerId) == 0)
        {
            return false;
        }
        _cancelSteps.Execute(nowMs, runId);
        _deleteWaits.Execute(runId);
        return true;
    }

    private void Resolve(string runId, int index, StepStatus status, string? output, string? error, DateTimeOffset now)
    {
        _finishStep.Execute(WorkflowResultJson.StatusName(status), output, error, now.ToUnixTimeMilliseconds(), runId, index);
        _deleteWait.Execute(runId, index);
        _requeue.Execute(runId);
    }

    public void Dispose()
    {
        foreach (var statement in _all)
        {
            statement.Command.Dispose();
        }
    }
}

internal enum AnswerOutcome
{
    Approved,
    Rejected,
    NotFound,

    /// <summary>The run is not waiting (never was, or was answered already).</summary>
    NotWaiting,

    /// <summary>The run waits, but for a time (a wait step), not for an approval.</summary>
    NoApproval,

    /// <summary>No step named: the run waits for more than one approval (parallel branches).</summary>
    Ambiguous,

    /// <summary>The named step is not an approval this run waits for.</summary>
    NotAWaitingApproval,
}

/// <summary>
/// What answering an approval did: the approval step's id and output, or why nothing was done (with the run's status,
/// and the approvals it waits for when the step was not named or not one of them).
/// </summary>
internal sealed record AnswerResult(
    AnswerOutcome Outcome, string? StepId = null, System.Text.Json.Nodes.JsonObject? Output = null, string? RunStatus = null,
    IReadOnlyList<string>? Waiting = null);
