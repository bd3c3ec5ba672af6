using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace AiOrchestra.Bench;

/// <summary>
/// Scale out (issue 17, <c>--only scale</c>): the app on PostgreSQL in 1, 2 and 3 processes on one database, beside
/// the app on SQLite in one, each driven through <c>POST /api/workflows/execute</c> (wait: true) with the comparison
/// workflow by the deployed measure's load generator in its own process (its calls go to the processes in turn), the
/// stub server in another. The app's CPU time per run is the sum over its processes. The PostgreSQL server is the one
/// <c>AIORCHESTRA_TEST_POSTGRES</c> names, or a throwaway cluster that <c>.ci/postgres</c> starts (and stops) here.
/// </summary>
internal static class Scale
{
    public static async Task MeasureAsync(string repoRoot, bool quick, int clients, List<Row> rows)
    {
        var (server, stopServer) = await ServerAsync(repoRoot);
        using var stub = Deployed.StartChild(["--stub-server"]);
        var stubLine = await stub.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The stub server did not start.");
        var stubAddress = new Uri(stubLine["STUB ".Length..]);
        var warmUp = quick ? 1 : 5;
        var measured = quick ? 2 : 10;
        try
        {
            rows.Add(Row.Info("Scale out: load average (1/5/15 min) before the measures (a shared machine)", LoadAverage()));
            var sqlite = await MeasureOnceAsync(repoRoot, null, 1, stubAddress, clients, warmUp, measured);
            Add(rows, "SQLite, 1 process", clients, sqlite);
            foreach (var processes in new[] { 1, 2, 3 })
            {
                var database = CreateDatabase(server);
                try
                {
                    var result = await MeasureOnceAsync(repoRoot, database, processes, stubAddress, clients, warmUp, measured);
                    Add(rows, $"PostgreSQL, {processes} process{(processes == 1 ? "" : "es")}", clients, result);
                }
                finally
                {
                    DropDatabase(server, database);
                }
            }
            rows.Add(Row.Info("Scale out: load average (1/5/15 min) after the measures", LoadAverage()));
        }
        finally
        {
            stub.StandardInput.Close();
            await stub.WaitForExitAsync();
            await stopServer();
        }
    }

    private static void Add(List<Row> rows, string setup, int clients, Deployed.LoadResult result)
    {
        rows.Add(Row.Info($"Scale out, {setup}, execute (wait: true), {clients} clients: runs/s (p50 {Row.Format(result.P50, "ms")}; {result.Calls:N0} calls, {result.Failures} failed)",
            Row.Format(result.PerSecond, "runs/s")));
        rows.Add(Row.Info($"Same: call p99", Row.Format(result.P99, "ms")));
        rows.Add(Row.Info($"Same: the app's CPU time per run (all its processes)", Row.Format(result.AppCpuMsPerRun, "ms")));
        if (result.FirstFailure is not null)
        {
            Console.WriteLine($"{setup}: first failed call: {result.FirstFailure}");
        }
    }

    /// <summary>Starts the processes (the first alone: it migrates), creates the workflow, runs the load, stops them.</summary>
    private static async Task<Deployed.LoadResult> MeasureOnceAsync(
        string repoRoot, string? database, int count, Uri stubAddress, int clients, int warmUp, int measured)
    {
        var folder = Directory.CreateTempSubdirectory("aiorchestra-bench-scale-").FullName;
        var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        var apps = new List<StandaloneApp.Running>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var dataFolder = Path.Combine(folder, $"app-{i}");
                Directory.CreateDirectory(dataFolder);
                var environment = new Dictionary<string, string> { ["Outbound__Allow"] = "127.0.0.1" };
                if (database is not null)
                {
                    environment["Database__Provider"] = "postgres";
                    environment["ConnectionStrings__Default"] = database;
                }
                apps.Add(await StandaloneApp.StartAsync(repoRoot, dataFolder, signingKey, environment));
            }
            using var api = new HttpClient { BaseAddress = apps[0].Address };
            var login = await api.PostAsJsonAsync("/api/auth/login", new { username = AppHost.UserName, password = AppHost.Password });
            login.EnsureSuccessStatusCode();
            var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Scenarios.CreateAsync(api, Scenarios.EndToEndWorkflowJson(stubAddress));

            var urls = apps.Select(app => new Uri(app.Address, "/api/workflows/execute").ToString()).ToArray();
            return await Deployed.RunLoadAsync(new Deployed.LoadOrder(urls[0], token,
                $$"""{"workflow_id":"{{Scenarios.EndToEndWorkflow}}","variables":{"topic":"end to end"},"wait":true}""", "\"success\":true",
                clients, warmUp, measured, apps[0].Process.Id, Urls: urls, AppProcessIds: apps.Select(app => app.Process.Id).ToArray()));
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The server's connection string (without a database), and how to stop it when it was started here.</summary>
    private static async Task<(string Server, Func<Task> Stop)> ServerAsync(string repoRoot)
    {
        if (Environment.GetEnvironmentVariable("AIORCHESTRA_TEST_POSTGRES") is { Length: > 0 } given)
        {
            return (given, () => Task.CompletedTask);
        }
        var start = new ProcessStartInfo(Path.Combine(repoRoot, ".ci", "postgres"), "54339") { RedirectStandardOutput = true };
        using var script = Process.Start(start) ?? throw new InvalidOperationException(".ci/postgres could not be started.");
        var server = await script.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException(".ci/postgres gave no connection string.");
        var folder = await script.StandardOutput.ReadLineAsync();
        await script.WaitForExitAsync();
        return (server, async () =>
        {
            using var stop = Process.Start(Path.Combine(repoRoot, ".ci", "postgres"), ["stop", folder!]);
            await stop.WaitForExitAsync();
        });
    }

    private static string CreateDatabase(string server)
    {
        var name = "aio_bench_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    private static void DropDatabase(string server, string database)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(server);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
