using System.Globalization;

namespace AiOrchestra.Bench;

/// <summary>
/// Issue 11's schedule measure: <see cref="Count"/> schedule triggers due every minute (one template step each), watched
/// over real minute boundaries; reports how late each due time's run was queued and whether any due time fired twice.
/// </summary>
internal sealed partial class Scenarios
{
    public const int ScheduleCount = 1000;
    private const string SchedulePrefix = "bench_sched_";

    /// <summary>Lateness of every run queued for a due time (ms, run created minus due time), and the due times fired more than once.</summary>
    public async Task<(List<double> LatenessMs, long Twice, int Minutes)> ScheduleAccuracyAsync(int minutes, CancellationToken cancellationToken = default)
    {
        for (var index = 0; index < ScheduleCount; index++)
        {
            await CreateAsync(api, $$"""
                {
                  "workflow_id": "{{SchedulePrefix}}{{index:D4}}",
                  "name": "Bench: a schedule due every minute",
                  "steps": [ { "step_id": "tick", "step_type": "template", "action": "render", "parameters": { "text": "due at {{"{{trigger.due_at}}"}}" } } ],
                  "triggers": [ { "trigger_id": "every_minute", "type": "schedule", "cron": "* * * * *" } ]
                }
                """);
        }
        // measure only whole minutes that start after every trigger is saved
        var now = DateTimeOffset.UtcNow;
        var from = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        var until = from.AddMinutes(minutes);
        await Task.Delay(until - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5), cancellationToken);

        using var db = OpenReader();
        using var command = db.CreateCommand();
        command.CommandText = """
            SELECT created_at, json_extract(inputs, '$.trigger.due_at') FROM runs
            WHERE workflow_id LIKE 'bench_sched_%' AND origin LIKE 'schedule:%'
            """;
        var lateness = new List<double>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var due = DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture);
                if (due >= from && due < until)
                {
                    lateness.Add(reader.GetInt64(0) - due.ToUnixTimeMilliseconds());
                }
            }
        }
        using var twice = db.CreateCommand();
        twice.CommandText = """
            SELECT COUNT(*) FROM (SELECT 1 FROM runs WHERE workflow_id LIKE 'bench_sched_%' AND origin LIKE 'schedule:%'
            GROUP BY workflow_id, json_extract(inputs, '$.trigger.due_at') HAVING COUNT(*) > 1)
            """;
        return (lateness, (long)twice.ExecuteScalar()!, minutes);
    }
}
