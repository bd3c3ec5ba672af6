using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "run_counts",
                columns: table => new
                {
                    owner_id = table.Column<string>(type: "TEXT", nullable: false),
                    day = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    runs = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_run_counts", x => new { x.owner_id, x.day, x.status });
                });

            CreateTriggers(migrationBuilder);
            // the runs already stored, counted once
            migrationBuilder.Sql(
                $"""
                INSERT INTO run_counts (owner_id, day, status, runs)
                SELECT owner_id, created_at / 86400000, status, COUNT(*) FROM runs WHERE status IN ({Finished})
                GROUP BY owner_id, created_at / 86400000, status;
                """);
        }

        /// <summary>The triggers that keep run_counts; a later migration that rebuilds <c>runs</c> (which drops them) creates them again.</summary>
        internal static void CreateTriggers(MigrationBuilder migrationBuilder)
        {
            // The counts are kept by the database itself, in the statement that changes a run: a run is counted when it
            // is finished (or inserted finished), moved when its owner changes, and uncounted when it is deleted
            // (retention, a cascade). A row that reaches zero goes, so retention keeps this table as small as the history.
            migrationBuilder.Sql(
                $"""
                CREATE TRIGGER run_counts_insert AFTER INSERT ON runs
                WHEN new.status IN ({Finished})
                BEGIN
                    {Count("new")}
                END;
                """);
            // a run finishing, on every run's hot path: one upsert and nothing else
            migrationBuilder.Sql(
                $"""
                CREATE TRIGGER run_counts_finish AFTER UPDATE OF status ON runs
                WHEN old.status NOT IN ({Finished}) AND new.status IN ({Finished})
                BEGIN
                    {Count("new")}
                END;
                """);
            // a finished run changed (its owner deleted, its status or time corrected): rarely, so two statements more
            migrationBuilder.Sql(
                $"""
                CREATE TRIGGER run_counts_update AFTER UPDATE OF status, owner_id, created_at ON runs
                WHEN old.status IN ({Finished})
                     AND (old.status IS NOT new.status OR old.owner_id IS NOT new.owner_id OR old.created_at IS NOT new.created_at)
                BEGIN
                    {Uncount("old")}
                    {Count("new")}
                END;
                """);
            migrationBuilder.Sql(
                $"""
                CREATE TRIGGER run_counts_delete AFTER DELETE ON runs
                WHEN old.status IN ({Finished})
                BEGIN
                    {Uncount("old")}
                END;
                """);
        }

        private const string Finished = "'succeeded', 'failed', 'cancelled'";

        private static string Count(string run) =>
            $"""
            INSERT INTO run_counts (owner_id, day, status, runs)
                SELECT {run}.owner_id, {run}.created_at / 86400000, {run}.status, 1 WHERE {run}.status IN ({Finished})
                ON CONFLICT (owner_id, day, status) DO UPDATE SET runs = runs + 1;
            """;

        private static string Uncount(string run) =>
            $"""
            UPDATE run_counts SET runs = runs - 1
                WHERE {run}.status IN ({Finished}) AND owner_id = {run}.owner_id AND day = {run}.created_at / 86400000 AND status = {run}.status;
            DELETE FROM run_counts
                WHERE {run}.status IN ({Finished}) AND owner_id = {run}.owner_id AND day = {run}.created_at / 86400000 AND status = {run}.status AND runs <= 0;
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_insert;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_finish;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_delete;");
            migrationBuilder.DropTable(
                name: "run_counts");
        }
    }
}
