using System.Data.Common;
using System.Text.Json;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Postgres;
using AiOrchestra.Web.Data.Sqlite;

namespace AiOrchestra.Web.Runs;

/// <summary>A run the worker has claimed: everything it needs to execute it without another query.</summary>
internal sealed record ClaimedRun(string RunId, string OwnerId, long WorkflowVersionId, string Inputs, bool Resumed, bool CancelRequested);

/// <summary>
/// The run writer's statements, prepared once on its connection and reused for every batch. All the hand-written
/// SQL of the run store is here; it is plain SQL that SQLite and PostgreSQL both read, except the claim's, which each
/// provider's class holds (<see cref="SqliteSql"/>: selects, then an update per run, in the one process's writer
/// transaction; <see cref="PostgresSql"/>: one statement with <c>FOR UPDATE SKIP LOCKED</c>, shared by every process).
/// </summary>
internal sealed class RunSql : IDisposable
{
    private readonly Statement _insertRun;
    private readonly Statement _selectQueued;
    private readonly Statement _selectQueuedExcept;
    private readonly Statement _selectRunningForeign;
    private readonly Statement _selectRunningExpired;
    private readonly Statement _claim;
    private readonly Statement? _claimQueued;
    private readonly Statement? _takeOverExpired;
    private readonly bool _postgres;
    private readonly Statement _stepStarted;
    private readonly Statement _stepFinished;
    private readonly Statement _itemFinished;
    private readonly Statement _finishRun;
    private readonly Statement _renewLeases;
    private readonly Statement _releaseLease;
    private readonly Statement _releaseAll;
    private readonly Statement _cancelQueued;
    private readonly Statement _requestCancel;
    private readonly Statement _selectStatus;
    private readonly List<Statement> _all = [];

    public RunSql(DbConnection connection, StoreSql provider)
    {
        _postgres = provider.Provider == DatabaseProvider.Postgres;
        Statement Prepare(string sql, params string[] parameters)
        {
            var statement = new Statement(connection, sql, parameters);
            _all.Add(statement);
            return statement;
        }

        _insertRun = Prepare(
            """
            INSERT INTO runs (id, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number,
                              status, origin, inputs, created_at, cancel_requested)
            VALUES (@id, @owner, @record, @version, @workflow, @number, 'queued', @origin, @inputs, @now, @false)
            """,
            "@id", "@owner", "@record", "@version", "@workflow", "@number", "@origin", "@inputs", "@now", "@false");
        _selectQueued = Prepare(SqliteSql.SelectQueued, "@limit");
        _selectQueuedExcept = Prepare(SqliteSql.SelectQueuedExcept, "@owners", "@limit");
        _selectRunningForeign = Prepare(SqliteSql.SelectRunningForeign, "@worker", "@limit");
        _selectRunningExpired = Prepare(SqliteSql.SelectRunningExpired, "@now", "@limit");
        _claim = Prepare(SqliteSql.ClaimById, "@worker", "@until", "@now", "@id");
        if (_postgres)
        {
            _claimQueued = Prepare(PostgresSql.ClaimQueued,
                "@full", "@held_owners", "@held_counts", "@per_owner", "@limit", "@worker", "@until", "@now");
            _takeOverExpired = Prepare(PostgresSql.TakeOverExpired, "@worker", "@until", "@now", "@limit");
        }
        _stepStarted = Prepare(
            """
            INSERT INTO run_steps (run_id, step_index, step_id, status, attempts, duration_ms, started_at)
            VALUES (@run, @index, @step, 'running', @attempt, 0, @started)
            ON CONFLICT (run_id, step_index) DO UPDATE SET status = 'running', attempts = excluded.attempts,
                started_at = excluded.started_at, error = NULL
            """,
            "@run", "@index", "@step", "@attempt", "@started");
        _stepFinished = Prepare(
            """
            INSERT INTO run_steps (run_id, step_index, step_id, status, output, error, attempts, duration_ms,
                                   prompt_tokens, completion_tokens, started_at, finished_at)
            VALUES (@run, @index, @step, @status, @output, @error, @attempts, @duration, @prompt, @completion, @started, @finished)
            ON CONFLICT (run_id, step_index) DO UPDATE SET status = excluded.status, output = excluded.output,
                error = excluded.error, attempts = excluded.attempts, duration_ms = excluded.duration_ms,
                prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                started_at = excluded.started_at, finished_at = excluded.finished_at
            """,
            "@run", "@index", "@step", "@status", "@output", "@error", "@attempts", "@duration", "@prompt", "@completion", "@started", "@finished");
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
    }

    /// <summary>Every statement takes part in the batch's transaction.</summary>
    public void Use(DbTransaction? transaction)
    {
        foreach (var statement in _all)
        {
            statement.Command.Transaction = transaction;
        }
    }

    public void InsertRun(Run run) => _insertRun.Execute(
        run.Id, run.OwnerId, run.WorkflowRecordId, run.WorkflowVersionId, run.WorkflowId, run.WorkflowVersionNumber,
        run.Origin, run.Inputs, run.CreatedAt.ToUnixTimeMilliseconds(), false);

    /// <summary>
    /// Claims up to <paramref name="limit"/> runs: first runs left <c>running</c> by a previous process (when
    /// <paramref name="recoverForeign"/>) or whose lease ran out, then queued runs in the order they were enqueued,
    /// skipping the runs of owners who hold their share of <paramref name="owners"/>' slots (the caller takes the slots
    /// once the claim is committed). The common case is one query; each further query skips at least one more owner
    /// who reached the share.
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

        var full = new List<string>();
        var candidates = new List<ClaimedRun>();
        while (claimed.Count < limit)
        {
            var wanted = limit - claimed.Count;
            candidates.Clear();
            Read(full.Count == 0 ? _selectQueued.Bind(wanted) : _selectQueuedExcept.Bind(JsonSerializer.Serialize(full), wanted), candidates);
            var newlyFull = false;
            foreach (var run in candidates)
            {
                if (owners.HasRoom(run.OwnerId, picked.GetValueOrDefault(run.OwnerId)))
                {
                    picked[run.OwnerId] = picked.GetValueOrDefault(run.OwnerId) + 1;
                    _claim.Execute(worker, untilMs, nowMs, run.RunId);
                    claimed.Add(run);
                }
                else if (!full.Contains(run.OwnerId))
                {
                    full.Add(run.OwnerId);
                    newlyFull = true;
                }
            }
            if (candidates.Count < wanted || !newlyFull)
            {
                break;
            }
        }
        return claimed;
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

    public void StepStarted(string runId, int index, string stepId, int attempt, DateTimeOffset startedAt) =>
        _stepStarted.Execute(runId, index, stepId, attempt, startedAt.ToUnixTimeMilliseconds());

    public void StepFinished(string runId, StepRecord step, string? output) => _stepFinished.Execute(
        runId, step.Index, step.StepId, WorkflowResultJson.StatusName(step.Status), output, step.Error, step.Attempts, step.DurationMs,
        step.Usage?.PromptTokens, step.Usage?.CompletionTokens, step.StartedAt.ToUnixTimeMilliseconds(), step.FinishedAt.ToUnixTimeMilliseconds());

    public void ItemFinished(string runId, ItemRecord item, string? output) => _itemFinished.Execute(
        runId, item.StepIndex, item.ItemIndex, item.StepId, WorkflowResultJson.StatusName(item.Status), output, item.Error, item.Attempts,
        item.DurationMs, item.StartedAt.ToUnixTimeMilliseconds(), item.FinishedAt.ToUnixTimeMilliseconds());

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

    private static void Read(DbCommand command, List<ClaimedRun> into)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            into.Add(new ClaimedRun(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                Resumed: reader.GetString(4) == "running", CancelRequested: reader.GetBoolean(5)));
        }
    }

    public void Dispose()
    {
        foreach (var statement in _all)
        {
            statement.Command.Dispose();
        }
    }

    /// <summary>One command with positional parameters, reused for every execution.</summary>
    private sealed class Statement
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
