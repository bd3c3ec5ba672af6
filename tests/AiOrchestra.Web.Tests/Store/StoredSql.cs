using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>Raw SQL against a test app's database through its own context, on whichever provider the app runs.</summary>
internal static class StoredSql
{
    /// <summary>Runs <paramref name="sql"/> (plain SQL both providers read) and returns its first value, or null.</summary>
    public static async Task<object?> ScalarAsync(IServiceProvider services, string sql)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>
    /// Every value stored, as text: SQLite's file read byte by byte (what a copy of it would give away), or on
    /// PostgreSQL every row of every table.
    /// </summary>
    public static async Task<string> EverythingAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (db.Database.IsSqlite())
        {
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var text = new System.Text.StringBuilder(System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
            if (File.Exists(file + "-wal"))
            {
                text.Append(System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file + "-wal")));
            }
            return text.ToString();
        }
        var tables = await db.Database.SqlQueryRaw<string>("SELECT tablename AS \"Value\" FROM pg_tables WHERE schemaname = 'public'").ToListAsync();
        var all = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            // the table names come from the catalogue above
            var everyRow = "SELECT COALESCE(string_agg(t::text, E'\\n'), '') AS \"Value\" FROM \"" + table + "\" t";
            var rows = await db.Database.SqlQueryRaw<string>(everyRow).ToListAsync();
            all.AppendLine(rows.Single());
        }
        return all.ToString();
    }
}
