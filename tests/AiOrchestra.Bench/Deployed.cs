using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Bench;

/// <summary>
/// The bench as a user deploys the app (issue 18): the app (<c>dotnet AiOrchestra.Web.dll</c>), the stub server and
/// the load generator each in a process of its own, started and stopped here. The app's CPU time and memory are read
/// from its own /proc entry, so they are the app's alone.
/// </summary>
internal static class Deployed
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The child modes of the bench's executable: <c>--stub-server</c> and <c>--load-generator</c>.</summary>
    public static async Task<int?> RunChildAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "--stub-server")
        {
            await using var stub = await StubServer.StartAsync();
            Console.WriteLine($"STUB {stub.Address}");
            await Console.In.ReadToEndAsync(); // until the parent closes our input
            return 0;
        }
        if (args.Length > 0 && args[0] == "--load-generator")
        {
            var load = JsonSerializer.Deserialize<LoadOrder>(args[1])!;
            var figures = await GenerateLoadAsync(load);
            Console.WriteLine("RESULT " + JsonSerializer.Serialize(new LoadResult(
                figures.PerSecond, Percentiles.Of(figures.Latencies, 50), Percentiles.Of(figures.Latencies, 99), figures.Latencies.Count,
                figures.CpuMsPerCall, figures.Failures, figures.FirstFailure), Json));
            return 0;
        }
        return null;
    }

    public static async Task MeasureAsync(string repoRoot, bool quick, int[] clientCounts, List<Row> rows, int? warmUpSeconds = null, double? rate = null)
    {
        var dataFolder = Directory.CreateTempSubdirectory("aiorchestra-bench-deployed-").FullName;
        var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        using var stub = StartChild(["--stub-server"]);
        var stubLine = await stub.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The stub server did not start.");
        var stubAddress = new Uri(stubLine["STUB ".Length..]);
        try
        {
            // the first start creates the database; the measured start is a restart on it, as after a deployment
            var first = await StandaloneApp.StartAsync(repoRoot, dataFolder, signingKey, Environment(stubAddress));
            await first.StopAsync();
            var app = await StandaloneApp.StartAsync(repoRoot, dataFolder, signingKey, Environment(stubAddress));
            try
            {
                rows.Add(Row.Check($"As deployed: start to a healthy /health (restart on an existing database; the app's CPU time until then: {Row.Format(app.StartCpuMs, "ms")})", app.StartMs, "ms", "≤ 1,500 ms", app.StartMs <= 1500));
                await Task.Delay(TimeSpan.FromSeconds(quick ? 1 : 3));
                var idle = Memory.ResidentMb(app.Process.Id);
                rows.Add(Row.Check("As deployed: idle resident memory of the app after that start", idle, "MB", "≤ 100 MB", idle <= 100));

                using var api = new HttpClient { BaseAddress = app.Address };
                var login = await api.PostAsJsonAsync("/api/auth/login", new { username = AppHost.UserName, password = AppHost.Password });
                login.EnsureSuccessStatusCode();
                var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
                api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                await Scenarios.CreateAsync(api, Scenarios.EndToEndWorkflowJson(stubAddress));
                await Scenarios.CreateAsync(api, Scenarios.WebhookWorkflowJson(stubAddress));
                await Scenarios.CreateAsync(api, Scenarios.HttpWorkflowJson(stubAddress));
                await Scenarios.CreateAsync(api, Scenarios.OpenAIWorkflowJson(stubAddress));
                var hook = (await api.GetFromJsonAsync<JsonObject>($"/api/workflows/{Scenarios.WebhookWorkflow}"))!["triggers"]![0]!["url"]!.GetValue<string>();

                var warmUp = warmUpSeconds ?? (quick ? 1 : 15);
                var measured = quick ? 2 : 10;
                var execute = new LoadOrder(new Uri(app.Address, "/api/workflows/execute").ToString(), token,
                    $$"""{"workflow_id":"{{Scenarios.EndToEndWorkflow}}","variables":{"topic":"end to end"},"wait":true}""", "\"success\":true",
                    50, warmUp, measured, app.Process.Id, Rate: rate);
                var webhook = new LoadOrder(hook, null, """{"topic":"end to end"}""", "page-", 50, warmUp, measured, app.Process.Id, Rate: rate);
                var paced = rate is null ? "" : $" (offered {rate:N0} calls/s in all)";
                foreach (var (name, order) in new[] { ("POST /api/workflows/execute (wait: true)", execute), ("webhook (POST /hooks/{token}, respond: output)", webhook) })
                {
                    foreach (var clients in clientCounts)
                    {
                        // the first load of each kind gets the whole warm-up whatever its client count (the JIT tiers
                        // its path up meanwhile), and so does 50 clients; a load after it on the warm path needs a few seconds
                        var warm = clients == 50 || clients == clientCounts[0];
                        var result = await RunLoadAsync(order with { Clients = clients, WarmUpSeconds = warm ? warmUp : Math.Min(warmUp, 3) });
                        var p99Target = clients == 50 ? 50 : 20;
                        rows.Add(Row.Check($"As deployed, {name}, {clients} clients{paced}: runs/s", result.PerSecond, "runs/s",
                            clients == 50 && rate is null ? "≥ 2,000 runs/s" : "—", clients != 50 || rate is not null || result.PerSecond >= 2000));
                        rows.Add(Row.Check($"Same: call p99 (p50 {Row.Format(result.P50, "ms")}; {result.Calls:N0} calls, {result.Failures} failed)", result.P99, "ms",
                            $"< {p99Target} ms", result.P99 < p99Target && result.Failures == 0));
                        rows.Add(Row.Check("Same: the app's own CPU time per run", result.AppCpuMsPerRun, "ms", "≤ 0.5 ms", result.AppCpuMsPerRun <= 0.5));
                        if (result.FirstFailure is not null)
                        {
                            Console.WriteLine($"First failed call: {result.FirstFailure}");
                        }
                    }
                }
                var peak = Memory.PeakMb(app.Process.Id);
                rows.Add(Row.Check("As deployed: peak resident memory of the app (VmHWM, start and every load above)", peak ?? double.NaN, "MB", "≤ 200 MB", peak <= 200));

                // bytes per stored run of the comparison workflow, with http steps and with the openai step: runs of
                // one workflow, then the growth of the tables and indexes of the run history divided by the runs
                var storedRuns = quick ? 200 : 2000;
                foreach (var (workflow, variant) in new[] { (Scenarios.EndToEndWorkflow, "http steps"), (Scenarios.OpenAIWorkflow, "the openai step") })
                {
                    var before = HistoryBytes(app.DatabaseFile);
                    var tablesBefore = BytesByTable(app.DatabaseFile);
                    await RunLoadAsync(new LoadOrder(execute.Url, token,
                        $$"""{"workflow_id":"{{workflow}}","variables":{"topic":"end to end"},"wait":true}""", "\"success\":true",
                        10, 0, 0, app.Process.Id, Runs: storedRuns));
                    var after = HistoryBytes(app.DatabaseFile);
                    var perRun = (after - before) / (double)storedRuns;
                    rows.Add(Row.Check($"As deployed: bytes per stored run of the comparison workflow with {variant} (chat, page, template response; {storedRuns:N0} runs: run, steps and their indexes)",
                        perRun, "B", "≤ 1,000 B", perRun <= 1000));
                    PrintBreakdown(variant, tablesBefore, BytesByTable(app.DatabaseFile), storedRuns);
                }
            }
            finally
            {
                await app.StopAsync();
            }
        }
        finally
        {
            stub.StandardInput.Close();
            await stub.WaitForExitAsync();
            Directory.Delete(dataFolder, recursive: true);
        }

        // the http steps call the local stub server (loopback is refused unless allow-listed), and the openai
        // variant's model is the stub, its chat completions streamed
        static Dictionary<string, string> Environment(Uri stub) => new()
        {
            ["Outbound__Allow"] = "127.0.0.1",
            ["OpenAI__BaseUrl"] = new Uri(stub, "v1").ToString(),
            ["OpenAI__ApiKey"] = "bench",
            ["OpenAI__Model"] = "stub",
        };
    }

    /// <summary>
    /// Bytes of the database's pages in use (page count less free pages): measured before and after a phase that only
    /// stores runs, the difference is what those runs take, their rows and index entries together.
    /// </summary>
    private static long HistoryBytes(string databaseFile)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databaseFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.GetInt64(0) * reader.GetInt64(1);
    }

    /// <summary>
    /// Bytes of the pages of each table and index, to say where a run's bytes go: SQLite's dbstat, which the bundled
    /// SQLite lacks, so through the sqlite3 shell when the machine has one (nothing otherwise).
    /// </summary>
    private static Dictionary<string, long> BytesByTable(string databaseFile)
    {
        var bytes = new Dictionary<string, long>();
        try
        {
            var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-readonly", "-separator", "\t", databaseFile, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name" })
            {
                start.ArgumentList.Add(arg);
            }
            using var shell = Process.Start(start)!;
            while (shell.StandardOutput.ReadLine() is { } line)
            {
                var parts = line.Split('\t');
                bytes[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            shell.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no sqlite3 shell: the total is measured all the same
        }
        return bytes;
    }

    private static void PrintBreakdown(string variant, Dictionary<string, long> before, Dictionary<string, long> after, int runs)
    {
        Console.WriteLine($"Bytes per stored run with {variant}, by table and index (dbstat, pages' sizes):");
        foreach (var (name, bytes) in after.OrderByDescending(a => a.Value - before.GetValueOrDefault(a.Key)))
        {
            var perRun = (bytes - before.GetValueOrDefault(name)) / (double)runs;
            if (perRun >= 1)
            {
                Console.WriteLine($"  {name,-50} {perRun,8:N0} B");
            }
        }
    }

    internal static async Task<LoadResult> RunLoadAsync(LoadOrder order)
    {
        using var load = StartChild(["--load-generator", JsonSerializer.Serialize(order)]);
        string? result = null;
        while (await load.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                result = line["RESULT ".Length..];
            }
        }
        await load.WaitForExitAsync();
        return result is null
            ? throw new InvalidOperationException($"The load generator gave no result: {await load.StandardError.ReadToEndAsync()}")
            : JsonSerializer.Deserialize<LoadResult>(result, Json)!;
    }

    internal static Process StartChild(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AiOrchestra.Bench.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
    }

    /// <summary>In the load generator's process: the closed loop against the app, its CPU time read from /proc.</summary>
    private static async Task<LoadFigures> GenerateLoadAsync(LoadOrder order)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), MaxConnectionsPerServer = 1000 });
        if (order.Token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", order.Token);
        }
        var body = System.Text.Encoding.UTF8.GetBytes(order.Body);
        // several app processes (the scale measure): the calls go to each in turn
        var urls = order.Urls ?? [order.Url];
        var turn = 0;
        async Task<string?> Call()
        {
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var url = urls.Length == 1 ? urls[0] : urls[(int)((uint)Interlocked.Increment(ref turn) % urls.Length)];
                using var response = await client.PostAsync(url, content);
                var text = await response.Content.ReadAsStringAsync();
                return response.StatusCode == System.Net.HttpStatusCode.OK && text.Contains(order.Expect, StringComparison.Ordinal)
                    ? null
                    : $"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}";
            }
            catch (HttpRequestException e)
            {
                return e.Message;
            }
        }
        if (order.Runs > 0)
        {
            // a fixed number of runs (to count what they store), 10 at a time
            var next = 0;
            var failures = 0L;
            await Task.WhenAll(Enumerable.Range(0, order.Clients).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= order.Runs)
                {
                    if (await Call() is not null)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }));
            return new LoadFigures([], 0, 0, failures, null);
        }
        return await Scenarios.ClosedLoopAsync(order.Clients, TimeSpan.FromSeconds(order.WarmUpSeconds), TimeSpan.FromSeconds(order.MeasuredSeconds), Call,
            () => (order.AppProcessIds ?? [order.AppProcessId]).Aggregate(TimeSpan.Zero, (sum, id) => sum + ProcessCpu(id)), order.Rate);
    }

    /// <summary>User and system CPU time of another process, from /proc/&lt;pid&gt;/stat (clock ticks of 10 ms).</summary>
    private static TimeSpan ProcessCpu(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // after the command: state is field 3, utime 14 and stime 15 (1-based over the whole line)
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>
    /// What the load generator does: <see cref="Url"/> (or each of <see cref="Urls"/> in turn), the app's CPU time read
    /// from <see cref="AppProcessId"/> (or the sum over <see cref="AppProcessIds"/>), at <see cref="Rate"/> calls/s in all when set.
    /// </summary>
    internal sealed record LoadOrder(
        string Url, string? Token, string Body, string Expect, int Clients, int WarmUpSeconds, int MeasuredSeconds, int AppProcessId, int Runs = 0,
        double? Rate = null, string[]? Urls = null, int[]? AppProcessIds = null);

    internal sealed record LoadResult(double PerSecond, double P50, double P99, int Calls, double AppCpuMsPerRun, long Failures, string? FirstFailure);
}
