using System.Data.Common;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Postgres;

namespace AiOrchestra.Web.Runs;

/// <summary>A run the worker has claimed: everything it needs to execute it without another query.</summary>
internal sealed record ClaimedRun(
    string RunId, string OwnerId, long WorkflowVersionId, string Inputs, bool Resumed, bool CancelRequested, string? TraceParent = null);

/// <summary>
/// The run writer's statements, prepared once on its connection and reused for every batch. All the hand-written
/// SQL of the run store is here; it is plain SQL that SQLite and PostgreSQL both read, except PostgreSQL's claim
/// (<see cref="PostgresSql"/>: one statement with <c>FOR UPDATE SKIP LOCKED</c>, shared by every process). On SQLite
/// the claim is selects, then an update per run, in the one process's writer transaction.
/// </summary>
internal sealed class RunSql : IDisposable
{
    private readonly Statement _insertRun;
    private readonly Statement _insertChild;
    private readonly Statement _takeChild;
    private readonly Statement _selectQueued;
    private readonly Statement _selectQueuedOwners;
    private readonly Statement _selectQueuedOf;
    private readonly Statement _selectRunningForeign;
    private readonly Statement _selectRunningExpired;
    private readonly Statement _claim;
    private readonly Statement? _claimQueued;
    private readonly Statement? _takeOverExpired;
    private readonly bool _postgres;
    private readonly Statement _stepStarted;
    private readonly Statement _stepFinished;
    private readonly Statement _usageAdded;
    private readonly Statement _itemFinished;
    private readonly Statement _entryRecorded;
    private readonly Statement _finishRun;
    private readonly Statement _renewLeases;
    private readonly Statement _releaseLease;
    private readonly Statement _releaseAll;
    private readonly Statement _cancelQueued;
    private readonly Statement _requestCancel;
    private readonly Statement _selectStatus;
    private readonly Statement _insertAudit;
    private readonly List<Statement> _all = [];

    /// <summary>Owners with queued runs looked at in one claim beyond the first query; the rest wait for the next.</summary>
    private const int MaxOwnersLooked = 1000;

    public RunSql(DbConnection connection, StoreSql provider)
    {
        _postgres = provider.Provider == DatabaseProvider.Postgres;
        Waits = new RunWaitSql(connection);
        Statement Prepare(string sql, params string[] parameters)
        {
            var statement = new Statement(connection, sql, parameters);
            _all.Add(statement);
            return statement;
        }

        _insertRun = Prepare(
            """
            INSERT INTO runs (id, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number,
                              status, origin, inputs, created_at, cancel_requested, trace_parent)
            VALUES (@id, @owner, @record, @version, @workflow, @number, 'queued', @origin, @inputs, @now, @false, @trace)
            """,
            "@id", "@owner", "@record", "@version", "@workflow", "@number", "@origin", "@inputs", "@now", "@false", "@trace");
        // a child run is running from the start and held by whoever runs its parent (see ChildRuns), never claimed
        _insertChild = Prepare(
            """
            INSERT INTO runs (id, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number,
                              status, origin, inputs, created_at, started_at, lease_owner, cancel_requested,
                              parent_run_id, parent_step_id, parent_item_index, child_key)
            VALUES (@id, @owner, @record, @version, @workflow, @number, 'running', @origin, @inputs, @now, @now, @worker, @false,
                    @parent, @step, @item, @key)
            """,
            "@id", "@owner", "@record", "@version", "@workflow", "@number", "@origin", "@inputs", "@now", "@worker", "@false",
            "@parent", "@step", "@item", "@key");
        _takeChild = Prepare(
            "UPDATE runs SET lease_owner = @worker, lease_expires_at = NULL WHERE id = @id AND status = 'running' AND parent_run_id IS NOT NULL",
            "@worker", "@id");
        // a run that started before (left running, or queued again after a wait), a new run resuming a failed one, or a
        // test run (its pinned steps), starts with finished steps recorded
        const string claimColumns = "SELECT id, owner_id, workflow_version_id, inputs, status = 'running' OR started_at IS NOT NULL OR resumed_from_run_id IS NOT NULL OR origin = 'test', cancel_requested, trace_parent FROM runs";
        _selectQueued = Prepare($"{claimColumns} WHERE status = 'queued' ORDER BY id LIMIT @limit", "@limit");
        // the owners with queued runs, one index seek each (a loose scan of the queued-by-owner index): finding another
        // owner's runs behind thousands of queued runs of an owner at its share must not read those thousands
        _selectQueuedOwners = Prepare(
            """
            WITH RECURSIVE queued(owner) AS (
                SELECT (SELECT MIN(owner_id) FROM runs WHERE status = 'queued')
                UNION ALL
                SELECT (SELECT MIN(owner_id) FROM runs WHERE status = 'queued' AND owner_id > queued.owner) FROM queued WHERE queued.owner IS NOT NULL)
            SELECT owner FROM queued WHERE owner IS NOT NULL LIMIT @limit
            """,
            "@limit");
        _selectQueuedOf = Prepare($"{claimColumns} WHERE status = 'queued' AND owner_id = @owner ORDER BY id LIMIT @limit", "@owner", "@limit");
        _selectRunningForeign = Prepare(
            $"{claimColumns} WHERE status = 'running' AND (lease_owner IS NULL OR lease_owner <> @worker) AND parent_run_id IS NULL ORDER BY id LIMIT @limit",
            "@worker", "@limit");
        _selectRunningExpired = Prepare(
            $"{claimColumns} WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < @now) AND parent_run_id IS NULL ORDER BY id LIMIT @limit",
            "@now", "@limit");
        _claim = Prepare(
            """
            UPDATE runs SET status = 'running', lease_owner = @worker, lease_expires_at = @until,
                            started_at = COALESCE(started_at, @now)
            WHERE id = @id
            """,
            "@worker", "@until", "@now", "@id");
        if (_postgres)
        {
            _claimQueued = Prepare(PostgresSql.ClaimQueued,
                "@full", "@held_owners", "@held_counts", "@per_owner", "@limit", "@worker", "@until", "@now");
            _takeOverExpired = Prepare(PostgresSql.TakeOverExpired, "@worker", "@until", "@now", "@limit");
        }
        // a step row references its run by the run's key, found by the id in the statement itself: one seek of the
        // runs' id index, a fraction of a microsecond (RESULTS.md, keys18), cheaper than a lookup statement of its own
        _stepStarted = Prepare(
            """
            INSERT INTO run_steps (run_key, step_index, step_id, status, attempts, duration_ms, started_at, started_event)
            VALUES ((SELECT key FROM runs WHERE id = @run), @index, @step, 'running', @attempt, 0, @started, @event)
            ON CONFLICT (run_key, step_index) DO UPDATE SET status = 'running', attempts = excluded.attempts,
                started_at = excluded.started_at, error = NULL, started_event = excluded.started_event
            """,
            "@run", "@index", "@step", "@attempt", "@started", "@event");
        _stepFinished = Prepare(
            """
            INSERT INTO run_steps (run_key, step_index, step_id, status, output, error, attempts, duration_ms,
                                   prompt_tokens, completion_tokens, started_at, finished_at, output_bytes, ledger, started_event, finished_event)
            VALUES ((SELECT key FROM runs WHERE id = @run), @index, @step, @status, @output, @error, @attempts, @duration, @prompt, @completion, @started, @finished, @bytes, @ledger,
                    @startedEvent, @event)
            ON CONFLICT (run_key, step_index) DO UPDATE SET status = excluded.status, output = excluded.output, output_bytes = excluded.output_bytes,
                error = excluded.error, attempts = excluded.attempts, duration_ms = excluded.duration_ms,
                prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                started_at = excluded.started_at, finished_at = excluded.finished_at, ledger = excluded.ledger,
                started_event = coalesce(excluded.started_event, run_steps.started_event), finished_event = excluded.finished_event
            """,
            "@run", "@index", "@step", "@status", "@output", "@error", "@attempts", "@duration", "@prompt", "@completion", "@started", "@finished",
            "@bytes", "@ledger", "@startedEvent", "@event");
        // written only after a step that called a model: one small row per workflow and day, read by Home
        _usageAdded = Prepare(
            """
            INSERT INTO llm_usage_days (owner_id, day, workflow_id, calls, input_tokens, output_tokens, cost, unpriced_calls)
            SELECT owner_id, @day, workflow_id, @calls, @input, @output, @cost, @unpriced FROM runs WHERE id = @run
            ON CONFLICT (owner_id, day, workflow_id) DO UPDATE SET calls = llm_usage_days.calls + excluded.calls,
                input_tokens = llm_usage_days.input_tokens + excluded.input_tokens, output_tokens = llm_usage_days.output_tokens + excluded.output_tokens,
                cost = llm_usage_days.cost + excluded.cost, unpriced_calls = llm_usage_days.unpriced_calls + excluded.unpriced_calls
            """,
            "@day", "@calls", "@input", "@output", "@cost", "@unpriced", "@run");
        _itemFinished = Prepare(
            """
            INSERT INTO run_step_items (run_id, step_index, item_index, step_id, status, output, error, attempts, duration_ms,
                                        started_at, finished_at)
            VALUES (@run, @index, @item, @step, @status, @output, @error, @attempts, @duration, @started, @finished)
            ON CONFLICT (run_id, step_index, item_index) DO UPDATE SET status = excluded.status, output = excluded.output,
                error = excluded.error, attempts = excluded.attempts, duration_ms = excluded.duration_ms,
                started_at = excluded.started_at, finished_at = excluded.finished_at
            """,
            "@run", "@index", "@item", "@step", "@status", "@output", "@error", "@attempts", "@duration", "@started", "@finished");
        _entryRecorded = Prepare(
            """
            INSERT INTO run_step_entries (run_id, step_index, item_index, sequence, step_id, entry, recorded_at, event)
            VALUES (@run, @index, @item, @sequence, @step, @entry, @at, @event)
            ON CONFLICT (run_id, step_index, item_index, sequence) DO UPDATE SET entry = excluded.entry, recorded_at = excluded.recorded_at,
                event = excluded.event
            """,
            "@run", "@index", "@item", "@sequence", "@step", "@entry", "@at", "@event");
        _finishRun = Prepare(
            """
            UPDATE runs SET status = @status, error = @error, finished_at = @finished, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @id AND status = 'running' AND lease_owner = @worker
            """,
            "@status", "@error", "@finished", "@id", "@worker");
        _renewLeases = Prepare(
            "UPDATE runs SET lease_expires_at = @until WHERE lease_owner = @worker AND status = 'running'",
            "@until", "@worker");
        // no owner, and not to be taken over before @until: recovery takes the run again once storage may work again
        _releaseLease = Prepare(
            "UPDATE runs SET lease_owner = NULL, lease_expires_at = @until WHERE id = @id AND lease_owner = @worker AND status = 'running'",
            "@until", "@id", "@worker");
        // expired at once: another process (or this one's next start) resumes the runs without waiting for the lease
        _releaseAll = Prepare(
            "UPDATE runs SET lease_owner = NULL, lease_expires_at = @now WHERE lease_owner = @worker AND status = 'running'",
            "@now", "@worker");
        _cancelQueued = Prepare(
            "UPDATE runs SET status = 'cancelled', cancel_requested = @true, finished_at = @now WHERE id = @id AND owner_id = @owner AND status = 'queued'",
            "@true", "@now", "@id", "@owner");
        _requestCancel = Prepare(
            "UPDATE runs SET cancel_requested = @true WHERE id = @id AND owner_id = @owner AND status = 'running'",
            "@true", "@id", "@owner");
        _selectStatus = Prepare("SELECT status FROM runs WHERE id = @id AND owner_id = @owner", "@id", "@owner");
        // a run started by hand is audited in its own insert's transaction: no commit of its own
        _insertAudit = Prepare(
            """
            INSERT INTO audit_entries (at, actor_id, actor_name, action, target, detail, address)
            VALUES (@at, @actorId, @actor, @action, @target, @detail, @address)
            """,
            "@at", "@actorId", "@actor", "@action", "@target", "@detail", "@address");
    }

    /// <summary>Approvals and waits: pausing, answering, waking and cancelling waiting runs.</summary>
    public RunWaitSql Waits { get; }

    /// <summary>The text of every statement, the waits' too (a test reads their query plans).</summary>
    internal IEnumerable<string> Texts => _all.Select(s => s.Command.CommandText).Concat(Waits.Texts);

    /// <summary>Every statement takes part in the batch's transaction.</summary>
    public void Use(DbTransaction? transaction)
    {
        foreach (var statement in _all)
        {
            statement.Command.Transaction = transaction;
        }
        Waits.Use(transaction);
    }

    public void InsertRun(Run run) => _insertRun.Execute(
        run.Id, run.OwnerId, run.WorkflowRecordId, run.WorkflowVersionId, run.WorkflowId, run.WorkflowVersionNumber,
        run.Origin, run.Inputs, run.CreatedAt.ToUnixTimeMilliseconds(), false, run.TraceParent);

    /// <summary>Stores a child run as running, held by <paramref name="worker"/>; its parent's worker executes it.</summary>
    public void InsertChild(Run run, string worker) => _insertChild.Execute(
        run.Id, run.OwnerId, run.WorkflowRecordId, run.WorkflowVersionId, run.WorkflowId, run.WorkflowVersionNumber,
        run.Origin, run.Inputs, run.CreatedAt.ToUnixTimeMilliseconds(), worker, false,
        run.ParentRunId, run.ParentStepId, run.ParentItemIndex, run.ChildKey);

    /// <summary>Takes a child run left running (by a process that stopped) for <paramref name="worker"/>; false when it has finished.</summary>
    public bool TakeChild(string runId, string worker) => _takeChild.Execute(worker, runId) > 0;

    /// <summary>
    /// Claims up to <paramref name="limit"/> runs: first runs left <c>running</c> by a previous process (when
    /// <paramref name="recoverForeign"/>) or whose lease ran out, then queued runs in the order they were enqueued,
    /// skipping the runs of owners who hold their share of <paramref name="owners"/>' slots (the caller takes the slots
    /// once the claim is committed). The common case is one query. When an owner at its share had runs turned away
    /// and more runs are queued behind them, the other owners with queued runs are found by one index seek each and
    /// their first runs claimed oldest first: a constant cost however many runs the owner at its share has queued.
    /// </summary>
    public List<ClaimedRun> Claim(string worker, int limit, bool recoverForeign, DateTimeOffset now, DateTimeOffset until, OwnerSlots owners)
    {
        if (_postgres)
        {
            return ClaimShared(worker, limit, now, until, owners);
        }
        var claimed = new List<ClaimedRun>(limit);
        var nowMs = now.ToUnixTimeMilliseconds();
        var untilMs = until.ToUnixTimeMilliseconds();
        var recover = recoverForeign ? _selectRunningForeign.Bind(worker, limit) : _selectRunningExpired.Bind(nowMs, limit);
        Read(recover, claimed);
        // runs taken over are claimed whatever their owner holds (they were admitted before), and count towards it
        var picked = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var run in claimed)
        {
            picked[run.OwnerId] = picked.GetValueOrDefault(run.OwnerId) + 1;
            _claim.Execute(worker, untilMs, nowMs, run.RunId);
        }
        if (claimed.Count >= limit)
        {
            return claimed;
        }

        var wanted = limit - claimed.Count;
        var candidates = new List<ClaimedRun>(wanted);
        Read(_selectQueued.Bind(wanted), candidates);
        var turnedAway = false;
        foreach (var run in candidates)
        {
            turnedAway |= !TryClaim(run);
        }
        if (!turnedAway || candidates.Count < wanted)
        {
            return claimed; // nobody turned away, or every queued run was seen
        }

        // an owner at its share hid the runs queued behind: take each other owner's oldest runs, then the oldest of those
        var owned = new List<string>();
        using (var reader = _selectQueuedOwners.Bind(MaxOwnersLooked).ExecuteReader())
        {
            while (reader.Read())
            {
                owned.Add(reader.GetString(0));
            }
        }
        candidates.Clear();
        foreach (var owner in owned)
        {
            var room = Math.Min(owners.Room(owner, picked.GetValueOrDefault(owner)), limit - claimed.Count);
            if (room > 0)
            {
                Read(_selectQueuedOf.Bind(owner, room), candidates);
            }
        }
        foreach (var run in candidates.OrderBy(r => r.RunId, StringComparer.Ordinal))
        {
            if (claimed.Count >= limit)
            {
                break;
            }
            TryClaim(run);
        }
        return claimed;

        bool TryClaim(ClaimedRun run)
        {
            if (!owners.HasRoom(run.OwnerId, picked.GetValueOrDefault(run.OwnerId)))
            {
                return false;
            }
            picked[run.OwnerId] = picked.GetValueOrDefault(run.OwnerId) + 1;
            _claim.Execute(worker, untilMs, nowMs, run.RunId);
            claimed.Add(run);
            return true;
        }
    }

    /// <summary>
    /// The claim of several processes on one PostgreSQL database: runs whose lease ran out (never a live process's
    /// runs, even at start-up), then queued runs, each one statement that locks what it takes. As on SQLite, an owner
    /// past their share is left out and the claim goes on for the others.
    /// </summary>
    private List<ClaimedRun> ClaimShared(string worker, int limit, DateTimeOffset now, DateTimeOffset until, OwnerSlots owners)
    {
        var claimed = new List<ClaimedRun>(limit);
        var nowMs = now.ToUnixTimeMilliseconds();
        var untilMs = until.ToUnixTimeMilliseconds();
        Read(_takeOverExpired!.Bind(worker, untilMs, nowMs, limit), claimed);
        var held = owners.Held();
        foreach (var run in claimed)
        {
            held[run.OwnerId] = held.GetValueOrDefault(run.OwnerId) + 1;
        }

        while (claimed.Count < limit)
        {
            var wanted = limit - claimed.Count;
            var full = held.Where(h => h.Value >= owners.PerOwner).Select(h => h.Key).ToArray();
            var partly = held.Where(h => h.Value < owners.PerOwner).ToArray();
            var before = claimed.Count;
            Read(_claimQueued!.Bind(full, partly.Select(h => h.Key).ToArray(), partly.Select(h => h.Value).ToArray(), owners.PerOwner,
                wanted, worker, untilMs, nowMs), claimed);
            var newlyFull = false;
            for (var i = before; i < claimed.Count; i++)
            {
                var count = held[claimed[i].OwnerId] = held.GetValueOrDefault(claimed[i].OwnerId) + 1;
                if (count >= owners.PerOwner)
                {
                    // remembered as turned away: the slot this owner frees wakes the worker for their queued runs
                    owners.TurnAway(claimed[i].OwnerId);
                    newlyFull = true;
                }
            }
            if (claimed.Count - before == wanted || !newlyFull)
            {
                break;
            }
        }
        return claimed;
    }

    public void StepStarted(string runId, int index, string stepId, int attempt, DateTimeOffset startedAt, long eventId) =>
        _stepStarted.Execute(runId, index, stepId, attempt, startedAt.ToUnixTimeMilliseconds(), eventId);

    public void StepFinished(string runId, StepRecord step, string? output, long? fullBytes, long? startedEvent, long? finishedEvent, string? ledger, Ledger.LedgerTotals? totals)
    {
        _stepFinished.Execute(
            runId, step.Index, step.StepId, WorkflowResultJson.StatusName(step.Status), output, step.Error, step.Attempts, step.DurationMs,
            step.Usage?.PromptTokens, step.Usage?.CompletionTokens, step.StartedAt.ToUnixTimeMilliseconds(), step.FinishedAt.ToUnixTimeMilliseconds(),
            fullBytes, ledger, startedEvent, finishedEvent);
        if (totals is not null)
        {
            _usageAdded.Execute(
                step.FinishedAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), totals.Calls,
                totals.InputTokens, totals.OutputTokens, (double)totals.Cost, totals.UnpricedCalls, runId);
        }
    }

    public void ItemFinished(string runId, ItemRecord item, string? output) => _itemFinished.Execute(
        runId, item.StepIndex, item.ItemIndex, item.StepId, WorkflowResultJson.StatusName(item.Status), output, item.Error, item.Attempts,
        item.DurationMs, item.StartedAt.ToUnixTimeMilliseconds(), item.FinishedAt.ToUnixTimeMilliseconds());

    public void EntryRecorded(string runId, JournalEntry entry, string json, long eventId) => _entryRecorded.Execute(
        runId, entry.StepIndex, entry.ItemIndex, entry.Sequence, entry.StepId, json, entry.RecordedAt.ToUnixTimeMilliseconds(), eventId);

    /// <summary>Records the run's outcome; false when this worker no longer holds the run.</summary>
    public bool FinishRun(string runId, string worker, RunStatus status, string? error, DateTimeOffset finishedAt) =>
        _finishRun.Execute(status.ToText(), error, finishedAt.ToUnixTimeMilliseconds(), runId, worker) > 0;

    public void RenewLeases(string worker, DateTimeOffset until) => _renewLeases.Execute(until.ToUnixTimeMilliseconds(), worker);

    /// <summary>Gives a run this worker could not record back, for recovery to take after <paramref name="until"/>.</summary>
    public void ReleaseLease(string runId, string worker, DateTimeOffset until) =>
        _releaseLease.Execute(until.ToUnixTimeMilliseconds(), runId, worker);

    /// <summary>Hands back every run this worker holds, for a stop: they resume elsewhere (or at the next start) from their first unfinished step.</summary>
    public void ReleaseAll(string worker, DateTimeOffset now) => _releaseAll.Execute(now.ToUnixTimeMilliseconds(), worker);

    public CancelResult Cancel(string ownerId, string runId, DateTimeOffset now)
    {
        if (_cancelQueued.Execute(true, now.ToUnixTimeMilliseconds(), runId, ownerId) > 0)
        {
            return CancelResult.Cancelled;
        }
        if (_requestCancel.Execute(true, runId, ownerId) > 0)
        {
            return CancelResult.CancelRequested;
        }
        return _selectStatus.Bind(runId, ownerId).ExecuteScalar() is null ? CancelResult.NotFound : CancelResult.AlreadyFinished;
    }

    public void InsertAudit(Audit.AuditEntry entry) => _insertAudit.Execute(
        entry.At.ToUnixTimeMilliseconds(), entry.ActorId, entry.ActorName, entry.Action, entry.Target, entry.Detail, entry.Address);

    private static void Read(DbCommand command, List<ClaimedRun> into)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            into.Add(new ClaimedRun(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Resumed: reader.GetBoolean(4), CancelRequested: reader.GetBoolean(5),
                TraceParent: reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
    }

    public void Dispose()
    {
        foreach (var statement in _all)
        {
            statement.Command.Dispose();
        }
        Waits.Dispose();
    }

    /// <summary>One command with positional parameters, reused for every execution.</summary>
    internal sealed class Statement
    {
        private readonly DbParameter[] _parameters;

        public Statement(DbConnection connection, string sql, string[] names)
        {
            Command = connection.CreateCommand();
            Command.CommandText = sql;
            _parameters = new DbParameter[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                _parameters[i] = Command.CreateParameter();
                _parameters[i].ParameterName = names[i];
                Command.Parameters.Add(_parameters[i]);
            }
        }

        public DbCommand Command { get; }

        public DbCommand Bind(params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                _parameters[i].Value = values[i] ?? DBNull.Value;
            }
            return Command;
        }

        public int Execute(params object?[] values) => Bind(values).ExecuteNonQuery();
    }
}
