using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Bench;

/// <summary>The measurements, each against the running app: runs go in through <see cref="RunQueue"/> as the API's execute does.</summary>
internal sealed partial class Scenarios(AppHost app, string ownerId, HttpClient api, string databaseFile)
{
    public const string OfflineWorkflow = "bench_offline";
    public const string HttpWorkflow = "bench_http";
    public const string EndToEndWorkflow = "bench_e2e";
    public const string WebhookWorkflow = "bench_hook";
    public const string OpenAIWorkflow = "bench_openai";

    private static readonly Dictionary<string, JsonNode?> NoInputs = [];

    private readonly RunQueue _queue = app.Services.GetRequiredService<RunQueue>();
    private readonly RunEvents _events = app.Services.GetRequiredService<RunEvents>();
    private string? _hookUrl;

    public static async Task<Scenarios> PrepareAsync(AppHost app, Uri stub)
    {
        var api = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = app.Address };
        var login = await api.PostAsJsonAsync("/api/auth/login", new { username = AppHost.UserName, password = AppHost.Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        await CreateAsync(api, OfflineWorkflowJson());
        await CreateAsync(api, HttpWorkflowJson(stub));
        await CreateAsync(api, EndToEndWorkflowJson(stub));
        await CreateAsync(api, WebhookWorkflowJson(stub));

        await using var scope = app.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByNameAsync(AppHost.UserName)
            ?? throw new InvalidOperationException("The bench user was not created.");
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        return new Scenarios(app, user.Id, api, file);
    }

    /// <summary>
    /// Runs <paramref name="count"/> runs with at most <paramref name="window"/> unfinished at once; returns runs/s and
    /// this process's CPU time per run (app and bench together; steadier than runs/s when other processes share the cores).
    /// </summary>
    public async Task<(double PerSecond, double CpuMsPerRun)> ThroughputAsync(string workflowId, int count, int window = 2048, Action<int>? finished = null)
    {
        using var db = OpenReader();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var enqueued = 0;
        var nextReport = 0;
        while (enqueued < count)
        {
            var unfinished = CountUnfinished(db);
            ReportFinished(enqueued - unfinished);
            var room = Math.Min(window - unfinished, count - enqueued);
            if (room < Math.Min(64, count - enqueued))
            {
                await Task.Delay(2);
                continue;
            }
            var chunk = Math.Min(room, 256);
            var results = await Task.WhenAll(Enumerable.Range(0, chunk).Select(_ => _queue.EnqueueAsync(ownerId, workflowId, NoInputs, CancellationToken.None)));
            if (results.FirstOrDefault(r => r.RunId is null) is { } refused)
            {
                throw new InvalidOperationException($"Enqueue refused: {string.Join("; ", refused.Errors)}");
            }
            enqueued += chunk;
        }
        while (CountUnfinished(db) is var left && left > 0)
        {
            ReportFinished(count - left);
            await Task.Delay(2);
        }
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        ReportFinished(count);
        return (count / stopwatch.Elapsed.TotalSeconds, cpu.TotalMilliseconds / count);

        void ReportFinished(int done)
        {
            while (finished is not null && done >= nextReport)
            {
                finished(nextReport);
                nextReport += Math.Max(1, count / 100);
            }
        }
    }

    /// <summary>
    /// Open loop: a run is started every 1/<paramref name="perSecond"/> s whatever happened to the others, and each
    /// latency counts from when its run was due (so a stall is not hidden by starting fewer runs), to when its
    /// subscriber receives run-finished. Returns the latencies of the warm-up and of the measured part in ms.
    /// </summary>
    public async Task<(List<double> WarmUp, List<double> Measured)> LatencyAsync(int perSecond, TimeSpan warmUp, TimeSpan measured)
    {
        var total = (int)((warmUp + measured).TotalSeconds * perSecond);
        var warmUpCount = (int)(warmUp.TotalSeconds * perSecond);
        var latencies = new double[total];
        var pending = new Task[total];
        var interval = Stopwatch.Frequency / (double)perSecond;
        var start = Stopwatch.GetTimestamp();

        // the schedule has a thread of its own, so a busy thread pool delays runs (measured) but not their start times
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduler = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * interval);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    Thread.Sleep(wait);
                }
                var index = i;
                pending[i] = Task.Run(async () => latencies[index] = await OneRunAsync(due));
            }
            scheduled.SetResult();
        })
        { Name = "open-loop schedule", IsBackground = true };
        scheduler.Start();
        await scheduled.Task; // not Join on a pool thread: the bench must not take a pool thread from the app it measures
        await Task.WhenAll(pending);
        return (latencies[..warmUpCount].ToList(), latencies[warmUpCount..].ToList());
    }

    private async Task<double> OneRunAsync(long due)
    {
        var result = await _queue.EnqueueAsync(ownerId, OfflineWorkflow, NoInputs, CancellationToken.None);
        var runId = result.RunId ?? throw new InvalidOperationException($"Enqueue refused: {string.Join("; ", result.Errors)}");
        await foreach (var item in _events.SubscribeAsync(ownerId, runId, 0, CancellationToken.None))
        {
            if (item.Type == RunEvent.RunFinished)
            {
                return Stopwatch.GetElapsedTime(due).TotalMilliseconds;
            }
        }
        throw new InvalidOperationException($"Run {runId}'s events ended without run-finished.");
    }

    /// <summary><paramref name="clients"/> clients each sending GET <paramref name="path"/> back to back; latencies in ms and requests/s.</summary>
    public async Task<(List<double> Latencies, double PerSecond, double CpuMsPerRequest)> ApiAsync(string path, int clients, TimeSpan warmUp, TimeSpan measured)
    {
        var load = await ClosedLoopAsync(clients, warmUp, measured, async () =>
        {
            using var response = await api.GetAsync(path, HttpCompletionOption.ResponseContentRead);
            return response.IsSuccessStatusCode ? null : $"GET {path}: {(int)response.StatusCode}";
        });
        if (load.FirstFailure is not null)
        {
            throw new InvalidOperationException(load.FirstFailure);
        }
        return (load.Latencies, load.PerSecond, load.CpuMsPerCall);
    }

    /// <summary>
    /// <paramref name="clients"/> clients each sending POST /api/workflows/execute (wait: true) back to back with the
    /// bearer token of the login above: the whole path a caller sees, from the request to the 200 with the run's
    /// outputs, every run and step stored by the app's own queue, worker and writer. A run counts when its answer is
    /// 200 and says success; any other answer (or a transport error) is a failure.
    /// </summary>
    public async Task<LoadFigures> ExecuteAsync(string workflowId, int clients, TimeSpan warmUp, TimeSpan measured)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"workflow_id":"{{workflowId}}","variables":{"topic":"end to end"},"wait":true}""");
        return await ClosedLoopAsync(clients, warmUp, measured, async () =>
        {
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await api.PostAsync("/api/workflows/execute", content);
                var text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == System.Net.HttpStatusCode.OK && IsSuccess(text)
                    ? null
                    : $"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}";
            }
            catch (HttpRequestException e)
            {
                return e.Message;
            }
        });

        static bool IsSuccess(string json)
        {
            try
            {
                return JsonNode.Parse(json)?["success"]?.GetValue<bool>() == true;
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The same workflow started by its own webhook trigger in <c>output</c> mode, as n8n and Node-RED are measured:
    /// <paramref name="clients"/> anonymous callers POST a JSON body to <c>/hooks/{token}</c> and get the response
    /// step's text. A call counts when it is answered 200 with the page id in it.
    /// </summary>
    public async Task<LoadFigures> WebhookAsync(int clients, TimeSpan warmUp, TimeSpan measured)
    {
        var url = await HookUrlAsync();
        var body = System.Text.Encoding.UTF8.GetBytes("""{"topic":"end to end"}""");
        using var hooks = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
        return await ClosedLoopAsync(clients, warmUp, measured, async () =>
        {
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await hooks.PostAsync(url, content);
                var text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == System.Net.HttpStatusCode.OK && text.Contains("page-", StringComparison.Ordinal)
                    ? null
                    : $"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}";
            }
            catch (HttpRequestException e)
            {
                return e.Message;
            }
        });
    }

    /// <summary>One webhook call, checked in full: the answer is the response step's text, made from both stubs' answers.</summary>
    public async Task CheckWebhookAsync()
    {
        using var hooks = new HttpClient();
        using var response = await hooks.PostAsJsonAsync(await HookUrlAsync(), new { topic = "a check" });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || !text.Contains("page-", StringComparison.Ordinal) || !text.Contains("Summary of: Summarise a check", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The webhook workflow did not answer as expected ({(int)response.StatusCode}): {text}");
        }
    }

    /// <summary>The webhook trigger's URL, as <c>GET /api/workflows/{id}</c> gives it.</summary>
    private async Task<string> HookUrlAsync()
    {
        if (_hookUrl is null)
        {
            var document = await api.GetFromJsonAsync<JsonObject>($"/api/workflows/{WebhookWorkflow}");
            _hookUrl = document!["triggers"]![0]!["url"]!.GetValue<string>();
        }
        return _hookUrl;
    }

    /// <summary>
    /// <paramref name="clients"/> clients each making <paramref name="call"/> back to back (it returns null on success,
    /// else what failed). Every failure counts, in the warm-up too; latencies are of every call of the measured part,
    /// in ms, and calls/s and CPU time (app and load generator together, steadier than latency when other processes
    /// compete for the cores) are of its successful calls.
    /// </summary>
    /// <param name="rate">
    /// Calls a second offered in all, spread over the clients (each waits for its next slot, and never sends ahead of
    /// it); null sends back to back. At a rate every build keeps up with, the CPU time per call compares builds on a
    /// loaded machine, where the closed loop's throughput (and with it the idle spinning per call) follows the load.
    /// </param>
    internal static async Task<LoadFigures> ClosedLoopAsync(
        int clients, TimeSpan warmUp, TimeSpan measured, Func<Task<string?>> call, Func<TimeSpan>? cpuTime = null, double? rate = null)
    {
        cpuTime ??= () => Process.GetCurrentProcess().TotalProcessorTime;
        var bag = new ConcurrentBag<List<double>>();
        var measuring = false;
        var stop = false;
        var succeeded = 0L;
        var failures = 0L;
        string? firstFailure = null;
        async Task Client()
        {
            var mine = new List<double>();
            var interval = rate is > 0 ? TimeSpan.FromSeconds(clients / rate.Value) : TimeSpan.Zero;
            // clients start spread over one interval, so the calls do not come in bursts of all clients at once
            var next = Stopwatch.GetTimestamp() + (long)(Random.Shared.NextDouble() * interval.TotalSeconds * Stopwatch.Frequency);
            while (!Volatile.Read(ref stop))
            {
                if (interval > TimeSpan.Zero)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                    next = Math.Max(next + (long)(interval.TotalSeconds * Stopwatch.Frequency), Stopwatch.GetTimestamp() - (long)(interval.TotalSeconds * Stopwatch.Frequency));
                }
                var began = Stopwatch.GetTimestamp();
                var failure = await call();
                var elapsed = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
                if (failure is not null)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, failure, null);
                }
                if (Volatile.Read(ref measuring))
                {
                    mine.Add(elapsed);
                    if (failure is null)
                    {
                        Interlocked.Increment(ref succeeded);
                    }
                }
            }
            bag.Add(mine);
        }

        var running = Enumerable.Range(0, clients).Select(_ => Task.Run(Client)).ToList();
        await Task.Delay(warmUp);
        Volatile.Write(ref measuring, true);
        var cpuBefore = cpuTime();
        var stopwatch = Stopwatch.StartNew();
        await Task.Delay(measured);
        Volatile.Write(ref measuring, false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpu = cpuTime() - cpuBefore;
        var calls = Interlocked.Read(ref succeeded);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(running);
        return new LoadFigures(bag.SelectMany(l => l).ToList(), calls / seconds, cpu.TotalMilliseconds / Math.Max(1, calls), failures, firstFailure);
    }

    /// <summary>
    /// One execute call, checked in full: the template step's answer must carry the page id the page stub gave and
    /// the chat stub's text, so the {{...}} references between the steps work, not only the status.
    /// </summary>
    public async Task CheckEndToEndAsync()
    {
        using var response = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = EndToEndWorkflow, variables = new { topic = "a check" }, wait = true });
        var text = await response.Content.ReadAsStringAsync();
        var respond = response.IsSuccessStatusCode ? JsonNode.Parse(text)?["outputs"]?["respond"]?.GetValue<string>() : null;
        if (respond is null || !respond.Contains("page-", StringComparison.Ordinal) || !respond.Contains("Summary of: Summarise a check", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The end-to-end workflow did not answer as expected ({(int)response.StatusCode}): {text}");
        }
    }

    /// <summary>Steps stored for a workflow's runs, and how many of them succeeded.</summary>
    public (long Steps, long Succeeded) CountSteps(string workflowId)
    {
        using var db = OpenReader();
        using var command = db.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COALESCE(SUM(s.status = 'succeeded'), 0)
            FROM run_steps s JOIN runs r ON r.key = s.run_key WHERE r.workflow_id = $workflow
            """;
        command.Parameters.AddWithValue("$workflow", workflowId);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Logs in through the dashboard's form (cookie), then requests the Logs page's first page one at a time;
    /// returns each request's time from send to the last byte of the HTML.
    /// </summary>
    public Task<List<double>> LogsPageAsync(int warmUp, int measured) => PageAsync("/Logs", warmUp, measured);

    /// <summary>The same for any dashboard page (Home is <c>/</c>).</summary>
    public async Task<List<double>> PageAsync(string path, int warmUp, int measured)
    {
        using var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = app.Address,
        };
        var form = await browser.GetStringAsync("/Account/Login");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var login = await browser.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = AppHost.UserName, ["Password"] = AppHost.Password, ["__RequestVerificationToken"] = token,
        }));
        if ((int)login.StatusCode is not (302 or 303))
        {
            throw new InvalidOperationException($"The dashboard login failed ({(int)login.StatusCode}); {path} cannot be measured.");
        }

        var latencies = new List<double>(measured);
        for (var i = 0; i < warmUp + measured; i++)
        {
            var began = Stopwatch.GetTimestamp();
            using var response = await browser.GetAsync(path, HttpCompletionOption.ResponseContentRead);
            var elapsed = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            if (i >= warmUp)
            {
                latencies.Add(elapsed);
            }
        }
        return latencies;
    }

    /// <summary>Runs of a workflow that did not succeed (every bench run should).</summary>
    public long CountNotSucceeded(string workflowId)
    {
        using var db = OpenReader();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM runs WHERE workflow_id = $workflow AND status <> 'succeeded'";
        command.Parameters.AddWithValue("$workflow", workflowId);
        return (long)command.ExecuteScalar()!;
    }

    public long CountRuns(string? workflowId = null)
    {
        using var db = OpenReader();
        using var command = db.CreateCommand();
        command.CommandText = workflowId is null ? "SELECT COUNT(*) FROM runs" : "SELECT COUNT(*) FROM runs WHERE workflow_id = $workflow";
        if (workflowId is not null)
        {
            command.Parameters.AddWithValue("$workflow", workflowId);
        }
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databaseFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static int CountUnfinished(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM runs WHERE status = 'queued') + (SELECT COUNT(*) FROM runs WHERE status = 'running')
            """;
        return (int)(long)command.ExecuteScalar()!;
    }

    internal static async Task CreateAsync(HttpClient api, string workflowJson)
    {
        using var response = await api.PostAsync("/api/workflows", new StringContent(workflowJson, System.Text.Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Saving a bench workflow failed ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Three template steps, each using the one before.</summary>
    internal static string OfflineWorkflowJson() => """
        {
          "workflow_id": "bench_offline",
          "name": "Bench: three template steps",
          "steps": [
            { "step_id": "greeting", "step_type": "template", "action": "render", "parameters": { "text": "Hello {{name}}, this is run number one of many." } },
            { "step_id": "summary", "step_type": "template", "action": "render", "parameters": { "text": "Summary: {{greeting_output}} ({{topic}})" } },
            { "step_id": "page", "step_type": "template", "action": "render", "parameters": { "text": "# {{topic}}\n\n{{summary_output}}\n" } }
          ],
          "variables": { "name": "bench", "topic": "throughput" }
        }
        """;

    /// <summary>The design's comparison workflow with three http steps: chat completion, a page made of its answer, a response call.</summary>
    internal static string HttpWorkflowJson(Uri stub) => ChatPageRespondJson("bench_http", "Bench: three http steps against a local stub", stub, $$"""
        { "step_id": "respond", "step_type": "http", "action": "request", "parameters": {
            "method": "GET", "url": "{{stub}}v1/respond?id={{"{{page_output.json.id}}"}}" } }
        """);

    /// <summary>
    /// DESIGN §9's comparison workflow as the other engines ran it, behind an HTTP trigger (the execute call): a chat
    /// completion, a page written from its answer, and a template step forming the response from both.
    /// </summary>
    internal static string EndToEndWorkflowJson(Uri stub) => ChatPageRespondJson("bench_e2e", "Bench: chat completion, page, response (end to end through the API)", stub, """
        { "step_id": "respond", "step_type": "template", "action": "render", "parameters": {
            "text": "Page {{page_output.json.id}} ({{page_output.json.url}}): {{chat_output.json.choices[0].message.content}}" } }
        """);

    /// <summary>The comparison workflow with the openai step (the model is the stub, streamed) instead of the chat's http step.</summary>
    internal static string OpenAIWorkflowJson(Uri stub) => $$"""
        {
          "workflow_id": "{{OpenAIWorkflow}}",
          "name": "Bench: openai step, page, response",
          "steps": [
            { "step_id": "chat", "step_type": "openai", "action": "generate_completion", "parameters": { "prompt": "Summarise {{"{{topic}}"}}" } },
            { "step_id": "page", "step_type": "http", "action": "request", "parameters": {
                "method": "POST", "url": "{{stub}}v1/pages",
                "body": { "title": "{{"{{topic}}"}}", "content": "{{"{{chat_output}}"}}" } } },
            { "step_id": "respond", "step_type": "template", "action": "render", "parameters": {
                "text": "Page {{"{{page_output.json.id}}"}} ({{"{{page_output.json.url}}"}}): {{"{{chat_output}}"}}" } }
          ],
          "variables": { "topic": "throughput" }
        }
        """;

    /// <summary>
    /// The same comparison workflow behind its own webhook trigger (DESIGN §9's "HTTP trigger"): the topic comes from
    /// the request body, and the call is answered with the response step's text (<c>respond: output</c>).
    /// </summary>
    internal static string WebhookWorkflowJson(Uri stub) => ChatPageRespondJson("bench_hook", "Bench: webhook -> chat completion, page, response", stub, """
        { "step_id": "respond", "step_type": "template", "action": "render", "parameters": {
            "text": "Page {{page_output.json.id}} ({{page_output.json.url}}): {{chat_output.json.choices[0].message.content}}" } }
        """, topic: "{{trigger.body.topic}}", triggers: """
        , "triggers": [ { "trigger_id": "bench", "type": "webhook", "respond": "output", "response_step": "respond", "max_per_minute": 600000 } ]
        """);

    /// <summary>A chat completion and a page made of its answer, both against the stub, then <paramref name="respondStep"/>.</summary>
    private static string ChatPageRespondJson(string workflowId, string name, Uri stub, string respondStep, string topic = "{{topic}}", string triggers = "") => $$"""
        {
          "workflow_id": "{{workflowId}}",
          "name": "{{name}}",
          "steps": [
            { "step_id": "chat", "step_type": "http", "action": "request", "parameters": {
                "method": "POST", "url": "{{stub}}v1/chat/completions",
                "body": { "model": "stub", "messages": [ { "role": "user", "content": "Summarise {{topic}}" } ] } } },
            { "step_id": "page", "step_type": "http", "action": "request", "parameters": {
                "method": "POST", "url": "{{stub}}v1/pages",
                "body": { "title": "{{topic}}", "content": "{{"{{chat_output.json.choices[0].message.content}}"}}" } } },
            {{respondStep}}
          ],
          "variables": { "topic": "throughput" }{{triggers}}
        }
        """;
}

/// <summary>What a closed-loop load measured: calls/s and CPU time per call count the measured part's successful calls only.</summary>
internal sealed record LoadFigures(List<double> Latencies, double PerSecond, double CpuMsPerCall, long Failures, string? FirstFailure);
