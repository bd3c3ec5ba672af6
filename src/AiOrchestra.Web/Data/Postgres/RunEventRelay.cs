using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// Live run events between the processes on one PostgreSQL database, through LISTEN/NOTIFY on one channel.
/// <para>
/// A process with a subscriber to a run it does not execute holds a mirror feed of it and asks for its events
/// (<c>w</c>), again every <see cref="RenewEvery"/> while anyone subscribes (<c>r</c>). The process that executes the
/// run forwards them: what it holds so far, then each event as it is published, under the ids it gave them; the mirror
/// hands them on in that order, so a run's event ids are the same on every process and a Last-Event-ID works against
/// any of them. A process that takes a run over after a crash, or claims a run someone waits on, forwards it on the
/// next renewal (at once when it heard the ask already). A mirror that hears nothing for a while reads the run's rows:
/// once the run has finished or paused, the rest comes from the store.
/// </para>
/// <para>
/// A mirror that asks anew (it was just opened, or this process's LISTEN connection dropped and came back, missing
/// whatever was sent meanwhile) holds what it hears until the executing process says it has resent everything after
/// the last event the mirror handed out (<c>c</c>), then hands it all out in id order, each id once; so a dropped
/// connection leaves no gap.
/// </para>
/// <para>
/// A run that finishes or pauses at a waiting step with nobody in its own process waiting on it says so (<c>f</c>),
/// for an execute call or a webhook waiting on the process that queued it; an answered approval wakes every
/// process's worker (<c>q</c>). Events over NOTIFY's payload limit (8000 bytes) go in parts. Only runs someone watches
/// elsewhere cost a notification per event. Nothing of this exists on SQLite, where one process executes every run.
/// </para>
/// <para>
/// Neither <c>f</c> nor <c>q</c> is sent again, so each time its LISTEN connection is up (at start, and after a drop)
/// this process makes good what it may have missed: the requests here waiting on runs other processes execute read those runs' status from
/// the store (one query; the worker writes before it publishes), and those whose run ended meanwhile get its end; the
/// worker looks for queued runs at once rather than at its next poll. A failed read counts as a failed LISTEN: tried
/// again with the next connection, a second later.
/// </para>
/// </summary>
internal sealed class RunEventRelay : BackgroundService
{
    public const string ChannelName = "aiorchestra_runs";

    /// <summary>How often a mirror renews its ask, and how long the run's rows are left unread when it hears nothing.</summary>
    internal static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(2);

    /// <summary>A forward (or an ask heard before the run started here) nobody renewed for this long ends.</summary>
    private static readonly TimeSpan ForgetAfter = RenewEvery * 3;

    // PostgreSQL refuses payloads of 8000 bytes or more; the header of a part takes the rest
    private const int MaxPayloadBytes = 7900;

    private const int MaxBatch = 512;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDbContextFactory<AppDbContext> _dbs;
    private readonly RunEvents _events;
    private readonly RunSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<RunEventRelay> _log;

    /// <summary>This process's name in the messages, to leave its own aside (every listener hears every message).</summary>
    private readonly string _self = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The LISTEN connection is up: while it is down nothing is heard, so quiet mirrors wait to ask again rather than read the store.</summary>
    private volatile bool _listening;

    private readonly Channel<string> _outbox = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Mirror> _mirrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Forward> _forwards = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _asked = new(StringComparer.Ordinal);

    // parts of events being put together; only the listener's thread touches it
    private readonly Dictionary<(string Sender, string RunId, long Sequence), (StringBuilder Text, int Next)> _parts = [];

    public RunEventRelay(IDbContextFactory<AppDbContext> dbs, RunEvents events, RunSignal signal, TimeProvider time, ILogger<RunEventRelay> log)
    {
        _dbs = dbs;
        _events = events;
        _signal = signal;
        _time = time;
        _log = log;
        events.Relay = this;
    }

    /// <summary>Someone here subscribes to a run this process does not execute: ask for its events.</summary>
    internal void Watch(RunFeed feed)
    {
        var mirror = new Mirror(feed, _time.GetUtcNow());
        var current = _mirrors.AddOrUpdate(feed.RunId, mirror, (_, old) => old.Feed == feed ? old : mirror);
        if (current == mirror)
        {
            Ask(mirror);
        }
    }

    /// <summary>The last subscriber of a mirror left: asks are no longer renewed, so the forward ends.</summary>
    internal void Left(RunFeed feed)
    {
        if (_mirrors.TryGetValue(feed.RunId, out var mirror) && mirror.Feed == feed)
        {
            _mirrors.TryRemove(new KeyValuePair<string, Mirror>(feed.RunId, mirror));
        }
    }

    /// <summary>This process starts executing a run: forwards it at once when another process has asked for it.</summary>
    internal void Opened(RunFeed feed)
    {
        if (_asked.TryRemove(feed.RunId, out var asked) && _time.GetUtcNow() - asked < ForgetAfter)
        {
            StartForward(feed, 0, "*");
        }
    }

    /// <summary>
    /// A run finished or paused at a waiting step here: tells the process that queued it, unless the request waiting on
    /// it is here.
    /// </summary>
    internal void Ended(RunFeed feed, RunStatus status)
    {
        if (!feed.HasWaiter)
        {
            Send($"f|{_self}|{feed.RunId}|{status.ToText()}");
        }
    }

    /// <summary>
    /// Asks the executing process for everything after what the mirror handed out; what comes before its answer is
    /// complete is held, so the resent events and those sent as they happen come out in order, each once.
    /// </summary>
    private void Ask(Mirror mirror)
    {
        mirror.BeginResend(_time.GetUtcNow());
        Send($"w|{_self}|{mirror.Feed.RunId}|{mirror.Feed.LastDelivered}");
    }

    /// <summary>Wakes every process's worker (a run was queued again by an answer given here).</summary>
    internal void WakeEverywhere() => Send($"q|{_self}");

    private void Send(string payload) => _outbox.Writer.TryWrite(payload);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var db = await _dbs.CreateDbContextAsync(stoppingToken))
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        await Task.WhenAll(ListenAsync(connectionString, stoppingToken), SendAsync(connectionString, stoppingToken), RenewAsync(stoppingToken));
    }

    // -- sending ---------------------------------------------------------------------------------------------------

    private async Task SendAsync(string connectionString, CancellationToken stoppingToken)
    {
        NpgsqlConnection? connection = null;
        var batch = new List<string>(MaxBatch);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _outbox.Reader.TryRead(out var payload))
                {
                    batch.Add(payload);
                }
                for (var attempt = 0; attempt < 2; attempt++)
                {
                    try
                    {
                        if (connection is null)
                        {
                            connection = new NpgsqlConnection(connectionString);
                            await connection.OpenAsync(stoppingToken);
                        }
                        // one round trip for the batch; the function scan calls pg_notify in the array's order
                        await using var command = new NpgsqlCommand($"SELECT pg_notify('{ChannelName}', p) FROM unnest(@p) AS p", connection);
                        command.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = batch.ToArray() });
                        await command.ExecuteNonQueryAsync(stoppingToken);
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        if (connection is not null)
                        {
                            await connection.DisposeAsync();
                            connection = null;
                        }
                        // lost messages are made good: asks are renewed, and a quiet mirror reads the run's rows
                        _log.LogWarning("Sending {Count} live-event messages to the other processes failed ({Reason})", batch.Count, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Starts forwarding a run executing here: what it holds after <paramref name="after"/>, then each event as it
    /// comes; once the first part is out, tells <paramref name="asker"/> (<c>*</c>: every mirror) it has it all.
    /// </summary>
    private void StartForward(RunFeed feed, long after, string asker)
    {
        if (feed.TrySubscribe(after) is not { } joined)
        {
            return;
        }
        var forward = new Forward(feed, joined.Queue, _time.GetUtcNow());
        if (!_forwards.TryAdd(feed.RunId, forward))
        {
            feed.Unsubscribe(joined.Queue);
            return;
        }
        _ = PumpAsync(forward, joined.History, asker);
    }

    private async Task PumpAsync(Forward forward, List<RunEvent> history, string asker)
    {
        try
        {
            Resend(forward.Feed.RunId, history, asker);
            await foreach (var item in forward.Queue.Reader.ReadAllAsync(forward.Stop.Token))
            {
                SendEvent(item);
            }
        }
        catch (OperationCanceledException)
        {
            // nobody renewed the ask
        }
        catch (Exception e)
        {
            _log.LogWarning("Forwarding run {RunId}'s live events stopped ({Reason})", forward.Feed.RunId, e.Message);
        }
        finally
        {
            forward.Feed.Unsubscribe(forward.Queue);
            _forwards.TryRemove(new KeyValuePair<string, Forward>(forward.Feed.RunId, forward));
            forward.Stop.Dispose();
        }
    }

    /// <summary>Sends the events again, then that they are all out (the outbox keeps the order).</summary>
    private void Resend(string runId, List<RunEvent> items, string asker)
    {
        foreach (var item in items)
        {
            SendEvent(item);
        }
        Send($"c|{_self}|{runId}|{asker}");
    }

    private void SendEvent(RunEvent item)
    {
        var json = JsonSerializer.Serialize(item, Json);
        var header = $"e|{_self}|{item.RunId}|{item.Sequence}|";
        var room = MaxPayloadBytes - Encoding.UTF8.GetByteCount(header) - 16;
        var parts = Split(json, room);
        for (var i = 0; i < parts.Count; i++)
        {
            Send($"{header}{i}|{parts.Count}|{parts[i]}");
        }
    }

    /// <summary>The text cut into pieces of at most <paramref name="maxBytes"/> UTF-8 bytes, never inside a character.</summary>
    internal static List<string> Split(string text, int maxBytes)
    {
        var parts = new List<string>();
        var start = 0;
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var size = pair ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            if (bytes + size > maxBytes)
            {
                parts.Add(text[start..i]);
                start = i;
                bytes = 0;
            }
            bytes += size;
            if (pair)
            {
                i++;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    // -- listening -------------------------------------------------------------------------------------------------

    private async Task ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        // named, so an operator (or a test) can tell this process's listening session in pg_stat_activity
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ListenerName(Environment.ProcessId) }.ToString();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Receive(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                _parts.Clear();
                _listening = true;
                // whatever was sent while the connection was down was not heard: ask for it again
                foreach (var mirror in _mirrors.Values)
                {
                    Ask(mirror);
                }
                // what was sent before this LISTEN (the connection was down, or not yet up at start) was not heard: a run
                // queued again by an approval answered elsewhere (q), the end of a run a request here waits on (f)
                _signal.Wake();
                await EndMissedAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                _listening = false;
                return;
            }
            catch (Exception e)
            {
                _listening = false;
                _log.LogWarning("Listening for other processes' live events failed ({Reason}); listening again in a second", e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The <c>application_name</c> of a process's LISTEN session.</summary>
    internal static string ListenerName(int processId) => $"aiorchestra listen {processId}";

    private void Receive(string payload)
    {
        try
        {
            var fields = payload.Split('|', 7);
            if (fields.Length < 2 || fields[1] == _self)
            {
                return;
            }
            switch (fields[0])
            {
                case "e" when fields.Length == 7:
                    ReceivePart(fields[1], fields[2], long.Parse(fields[3]), int.Parse(fields[4]), int.Parse(fields[5]), fields[6]);
                    break;
                case "w" or "r" when fields.Length == 4:
                    Asked(fields[1], fields[2], long.Parse(fields[3]), renewal: fields[0] == "r");
                    break;
                case "c" when fields.Length == 4:
                    Resent(fields[2], fields[3]);
                    break;
                case "f" when fields.Length == 4:
                    EndedElsewhere(fields[2], fields[3]);
                    break;
                case "q":
                    _signal.Wake();
                    break;
            }
        }
        catch (Exception e)
        {
            _log.LogWarning("A live-event message from another process was not understood ({Reason})", e.Message);
        }
    }

    /// <summary>Another process asks for a run's events: forwarded when it executes here, else remembered for when it starts here.</summary>
    private void Asked(string asker, string runId, long after, bool renewal)
    {
        var now = _time.GetUtcNow();
        var feed = _events.Find(runId);
        if (feed is not { Started: true })
        {
            _asked[runId] = now;
            return;
        }
        if (feed.Finished)
        {
            // finished a moment ago: its events are still held here, end and all
            Resend(runId, feed.Snapshot(after), asker);
            return;
        }
        if (_forwards.TryGetValue(runId, out var forward) && forward.Feed == feed)
        {
            forward.Renewed = now;
            if (!renewal)
            {
                // a new mirror, or one that missed what was sent: what it has not had yet (it drops what it has twice)
                Resend(runId, feed.Snapshot(after), asker);
            }
            return;
        }
        StartForward(feed, after, asker);
    }

    /// <summary>The executing process has resent what a mirror here asked for: what it held goes out in order.</summary>
    private void Resent(string runId, string asker)
    {
        if ((asker == _self || asker == "*") && _mirrors.TryGetValue(runId, out var mirror))
        {
            mirror.Heard = _time.GetUtcNow();
            mirror.EndResend();
            if (mirror.Feed.Finished)
            {
                _mirrors.TryRemove(new KeyValuePair<string, Mirror>(runId, mirror));
            }
        }
    }

    private void ReceivePart(string sender, string runId, long sequence, int part, int parts, string text)
    {
        if (!_mirrors.TryGetValue(runId, out var mirror))
        {
            return;
        }
        string json;
        if (parts == 1)
        {
            json = text;
        }
        else
        {
            var key = (sender, runId, sequence);
            if (part == 0)
            {
                _parts[key] = (new StringBuilder(text), 1);
                return;
            }
            if (!_parts.TryGetValue(key, out var held) || held.Next != part)
            {
                _parts.Remove(key); // a part went missing: the event is left out, as a lost message would be
                return;
            }
            held.Text.Append(text);
            if (part + 1 < parts)
            {
                _parts[key] = (held.Text, part + 1);
                return;
            }
            _parts.Remove(key);
            json = held.Text.ToString();
        }
        var item = JsonSerializer.Deserialize<RunEvent>(json, Json)!;
        mirror.Heard = _time.GetUtcNow();
        mirror.Receive(item);
        if (mirror.Feed.Finished)
        {
            _mirrors.TryRemove(new KeyValuePair<string, Mirror>(runId, mirror));
        }
    }

    /// <summary>
    /// A run finished or paused on another process that had nobody waiting on it there: a request here waiting on it
    /// learns it. A mirror's subscribers get the end with the run's other events, from the forward or from the store.
    /// </summary>
    private void EndedElsewhere(string runId, string status)
    {
        if (_mirrors.ContainsKey(runId))
        {
            return;
        }
        _events.Find(runId)?.PublishRemote(new RunEvent
        {
            RunId = runId, Sequence = 0, Type = status == RunStatus.Waiting.ToText() ? RunEvent.RunWaiting : RunEvent.RunFinished,
            Timestamp = _time.GetUtcNow(), Status = status,
        });
    }

    /// <summary>
    /// The LISTEN connection is up (at start, or back after a drop): a request here waiting on a run another process
    /// executes gets the run's end if it came while nobody listened (<c>f</c> is not sent again), as its stored status
    /// says. A mirror's subscribers are left to the mirror, which asked again.
    /// </summary>
    private async Task EndMissedAsync(CancellationToken cancellationToken)
    {
        var waited = _events.WaitedOnElsewhere().Select(f => f.RunId).ToList();
        if (waited.Count == 0)
        {
            return;
        }
        // a failed read (a pooled connection the database's restart broke) fails the listening, tried again a second later
        await using var db = await _dbs.CreateDbContextAsync(cancellationToken);
        var ended = await db.Runs.AsNoTracking()
            .Where(r => waited.Contains(r.Id) && r.Status != RunStatus.Queued && r.Status != RunStatus.Running)
            .Select(r => new { r.Id, r.Status })
            .ToListAsync(cancellationToken);
        foreach (var run in ended)
        {
            // as if its f had been heard; one that arrives over NOTIFY too is dropped by the feed: it has ended already
            EndedElsewhere(run.Id, run.Status.ToText());
        }
    }

    // -- renewing --------------------------------------------------------------------------------------------------

    private async Task RenewAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RenewEvery, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RenewOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogWarning("Renewing the asks for other processes' live events failed ({Reason})", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task RenewOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var quiet = new List<string>();
        foreach (var (runId, mirror) in _mirrors)
        {
            if (mirror.Feed.Started || mirror.Feed.Finished)
            {
                _mirrors.TryRemove(new KeyValuePair<string, Mirror>(runId, mirror));
                continue;
            }
            if (mirror.ResendingSince is { } since)
            {
                if (now - since < RenewEvery)
                {
                    continue;
                }
                // no answer (the run has not started anywhere, or its process is gone): what came goes out as it is
                mirror.EndResend();
            }
            Send($"r|{_self}|{runId}|{mirror.Feed.LastDelivered}");
            // not listening, a mirror hears nothing: it asks again once listening rather than end from the store
            // without what was sent meanwhile
            if (_listening && now - mirror.Heard >= RenewEvery)
            {
                quiet.Add(runId);
            }
        }
        foreach (var (runId, forward) in _forwards)
        {
            if (now - forward.Renewed >= ForgetAfter)
            {
                await forward.Stop.CancelAsync();
            }
        }
        foreach (var (runId, asked) in _asked)
        {
            if (now - asked >= ForgetAfter)
            {
                _asked.TryRemove(new KeyValuePair<string, DateTimeOffset>(runId, asked));
            }
        }
        if (quiet.Count > 0)
        {
            await CatchUpAsync(quiet, cancellationToken);
        }
    }

    /// <summary>
    /// Mirrors that heard nothing: a run that has finished or paused meanwhile (its end lost, or its process gone before
    /// it forwarded) is completed from its stored rows; one still going is left to its forward.
    /// </summary>
    private async Task CatchUpAsync(List<string> runIds, CancellationToken cancellationToken)
    {
        List<string> ended;
        await using (var db = await _dbs.CreateDbContextAsync(cancellationToken))
        {
            ended = await db.Runs.AsNoTracking()
                .Where(r => runIds.Contains(r.Id) && r.Status != RunStatus.Queued && r.Status != RunStatus.Running)
                .Select(r => r.Id)
                .ToListAsync(cancellationToken);
        }
        foreach (var runId in ended)
        {
            if (!_mirrors.TryGetValue(runId, out var mirror) || mirror.ResendingSince is not null)
            {
                continue;
            }
            foreach (var item in await _events.StoredEventsAsync(runId, cancellationToken))
            {
                mirror.Receive(item);
            }
            _mirrors.TryRemove(new KeyValuePair<string, Mirror>(runId, mirror));
        }
    }

    /// <summary>A run this process follows for its subscribers, and when it last heard of it.</summary>
    private sealed class Mirror(RunFeed feed, DateTimeOffset heard)
    {
        public RunFeed Feed { get; } = feed;

        private long _heard = heard.UtcTicks;

        /// <summary>When an event of the run last came (the listener writes it, the renewal reads it).</summary>
        public DateTimeOffset Heard
        {
            get => new(Interlocked.Read(ref _heard), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _heard, value.UtcTicks);
        }

        private readonly object _lock = new();
        private readonly SortedDictionary<long, RunEvent> _held = [];
        private DateTimeOffset? _resendingSince;

        /// <summary>When the mirror asked to have its events resent, while it waits for the answer.</summary>
        public DateTimeOffset? ResendingSince
        {
            get
            {
                lock (_lock)
                {
                    return _resendingSince;
                }
            }
        }

        public void BeginResend(DateTimeOffset now)
        {
            lock (_lock)
            {
                _resendingSince = now;
            }
        }

        /// <summary>An event heard: handed out, or held while a resend is under way.</summary>
        public void Receive(RunEvent item)
        {
            lock (_lock)
            {
                if (_resendingSince is null)
                {
                    Feed.PublishRemote(item);
                }
                else
                {
                    // an end without a number (from the store) comes after everything held
                    _held.TryAdd(item.Sequence > 0 ? item.Sequence : long.MaxValue, item);
                }
            }
        }

        /// <summary>The resend is complete (or given up on): what was held goes out in id order.</summary>
        public void EndResend()
        {
            lock (_lock)
            {
                foreach (var item in _held.Values)
                {
                    Feed.PublishRemote(item);
                }
                _held.Clear();
                _resendingSince = null;
            }
        }
    }

    /// <summary>A run executing here whose events go to other processes, until nobody renews the ask.</summary>
    private sealed class Forward(RunFeed feed, Channel<RunEvent> queue, DateTimeOffset renewed)
    {
        public RunFeed Feed { get; } = feed;

        public Channel<RunEvent> Queue { get; } = queue;

        public CancellationTokenSource Stop { get; } = new();

        private long _renewed = renewed.UtcTicks;

        /// <summary>When an ask for the run last came (the listener writes it, the renewal reads it).</summary>
        public DateTimeOffset Renewed
        {
            get => new(Interlocked.Read(ref _renewed), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _renewed, value.UtcTicks);
        }
    }
}
