using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AiOrchestra.Web.Tests.Store;
using Npgsql;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// A PostgreSQL server of a test's own, started by <c>.ci/postgres</c> (as root, running the server as the
/// <c>postgres</c> user, as CI's throwaway cluster) on a free loopback port, so a test can restart it without
/// disturbing the tests that share CI's cluster. Stopped and its folder removed when disposed, and when the test
/// process exits.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(StoreHost.RepositoryRoot, ".ci", "postgres");

    private PostgresCluster(string server, string folder)
    {
        Server = server;
        Folder = folder;
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
    }

    /// <summary>The server's connection string, without a database.</summary>
    public string Server { get; }

    /// <summary>The cluster's folder (data, socket, log).</summary>
    public string Folder { get; }

    public static async Task<PostgresCluster> StartAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var lines = (await RunAsync(port.ToString())).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new PostgresCluster(lines[0], lines[1]);
    }

    /// <summary>Creates a database (empty: the app migrates it at start-up) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ToString();
    }

    /// <summary>A real restart: the server shuts down (every session ends) and starts again on the same port and data.</summary>
    public Task RestartAsync() => RunAsync("restart", Folder);

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        NpgsqlConnection.ClearAllPools();
        await RunAsync("stop", Folder);
    }

    private void StopOnExit(object? sender, EventArgs e) => RunAsync("stop", Folder).GetAwaiter().GetResult();

    private static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Script) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Script} could not be started.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Script} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}");
        }
        return await output;
    }
}
