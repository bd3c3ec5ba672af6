using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <summary>
    /// <c>runs</c> gets an integer key (its rowid, so no index of its own), and <c>run_steps</c> references it instead of
    /// the 36-character run id: ~195 bytes less a stored run (RESULTS.md). The run id stays, unique, for everything else.
    /// Written out rather than left to EF Core's rebuild: its rebuilds run after everything else in a migration and copy
    /// no new key, so the steps could not be linked to their runs' keys; this keeps every run's rowid as its key, links
    /// each step through its run id, and puts back the indexes and the run_counts triggers the rebuild drops.
    /// </summary>
    public partial class RunKeys : Migration
    {
        private const string RunColumns =
            "cancel_requested, child_key, created_at, error, finished_at, id, inputs, lease_expires_at, lease_owner, origin, owner_id, " +
            "parent_item_index, parent_run_id, parent_step_id, resumed_from_run_id, started_at, status, trace_parent, workflow_id, " +
            "workflow_record_id, workflow_version_id, workflow_version_number";

        private const string StepColumns =
            "id, attempts, completion_tokens, duration_ms, error, finished_at, finished_event, ledger, output, output_bytes, prompt_tokens, " +
            "started_at, started_event, status, step_id, step_index";

        private const string RunTableColumns =
            """
                "cancel_requested" INTEGER NOT NULL,
                "child_key" TEXT NULL,
                "created_at" INTEGER NOT NULL,
                "error" TEXT NULL,
                "finished_at" INTEGER NULL,
                "inputs" TEXT NOT NULL,
                "lease_expires_at" INTEGER NULL,
                "lease_owner" TEXT NULL,
                "origin" TEXT NOT NULL DEFAULT 'manual',
                "owner_id" TEXT NOT NULL,
                "parent_item_index" INTEGER NULL,
                "parent_run_id" TEXT NULL,
                "parent_step_id" TEXT NULL,
                "resumed_from_run_id" TEXT NULL,
                "started_at" INTEGER NULL,
                "status" TEXT NOT NULL,
                "trace_parent" TEXT NULL,
                "workflow_id" TEXT NOT NULL,
                "workflow_record_id" INTEGER NOT NULL,
                "workflow_version_id" INTEGER NOT NULL,
                "workflow_version_number" INTEGER NOT NULL,
                CONSTRAINT "FK_runs_projects_owner_id" FOREIGN KEY ("owner_id") REFERENCES "projects" ("id") ON DELETE CASCADE,
                CONSTRAINT "FK_runs_workflow_versions_workflow_version_id" FOREIGN KEY ("workflow_version_id") REFERENCES "workflow_versions" ("id") ON DELETE RESTRICT,
                CONSTRAINT "FK_runs_workflows_workflow_record_id" FOREIGN KEY ("workflow_record_id") REFERENCES "workflows" ("id") ON DELETE RESTRICT
            """;

        private const string StepTableColumns =
            """
                "id" INTEGER NOT NULL CONSTRAINT "PK_run_steps" PRIMARY KEY AUTOINCREMENT,
                "attempts" INTEGER NOT NULL,
                "completion_tokens" INTEGER NULL,
                "duration_ms" INTEGER NOT NULL,
                "error" TEXT NULL,
                "finished_at" INTEGER NULL,
                "finished_event" INTEGER NULL,
                "ledger" TEXT NULL,
                "output" TEXT NULL,
                "output_bytes" INTEGER NULL,
                "prompt_tokens" INTEGER NULL,
                "started_at" INTEGER NULL,
                "started_event" INTEGER NULL,
                "status" TEXT NOT NULL,
                "step_id" TEXT NOT NULL,
                "step_index" INTEGER NOT NULL,
            """;

        // the indexes of runs as the model has them (dropped with the old table)
        private const string RunIndexes =
            """
            CREATE INDEX "IX_runs_owner_id_created_at" ON "runs" ("owner_id", "created_at");
            CREATE INDEX "IX_runs_owner_id_origin_created_at" ON "runs" ("owner_id", "origin", "created_at");
            CREATE INDEX "IX_runs_owner_id_status_created_at" ON "runs" ("owner_id", "status", "created_at");
            CREATE INDEX "IX_runs_owner_id_workflow_id_created_at" ON "runs" ("owner_id", "workflow_id", "created_at");
            CREATE UNIQUE INDEX "IX_runs_parent_run_id_child_key" ON "runs" ("parent_run_id", "child_key") WHERE parent_run_id IS NOT NULL;
            CREATE INDEX "IX_runs_queued" ON "runs" ("status", "id") WHERE status = 'queued';
            CREATE INDEX "IX_runs_queued_by_owner" ON "runs" ("status", "owner_id", "id") WHERE status = 'queued';
            CREATE INDEX "IX_runs_resumed_from_run_id" ON "runs" ("resumed_from_run_id") WHERE resumed_from_run_id IS NOT NULL;
            CREATE INDEX "IX_runs_running" ON "runs" ("status", "id") WHERE status = 'running';
            CREATE INDEX "IX_runs_workflow_record_id" ON "runs" ("workflow_record_id");
            CREATE INDEX "IX_runs_workflow_version_id" ON "runs" ("workflow_version_id");
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // the other tables' foreign keys name runs(id): off while the table is replaced (SQLite's way, as EF Core's rebuild)
            migrationBuilder.Sql("PRAGMA foreign_keys = 0;", suppressTransaction: true);
            migrationBuilder.Sql(
                $"""
                CREATE TABLE "ef_temp_runs" (
                    "key" INTEGER NOT NULL CONSTRAINT "PK_runs" PRIMARY KEY AUTOINCREMENT,
                    "id" TEXT NOT NULL,
                {RunTableColumns},
                    CONSTRAINT "AK_runs_id" UNIQUE ("id")
                );
                INSERT INTO "ef_temp_runs" ("key", {RunColumns}) SELECT rowid, {RunColumns} FROM "runs" ORDER BY rowid;
                CREATE TABLE "ef_temp_run_steps" (
                {StepTableColumns}
                    "run_key" INTEGER NOT NULL,
                    CONSTRAINT "FK_run_steps_runs_run_key" FOREIGN KEY ("run_key") REFERENCES "runs" ("key") ON DELETE CASCADE
                );
                INSERT INTO "ef_temp_run_steps" ({StepColumns}, "run_key")
                SELECT {Prefixed("s", StepColumns)}, r.rowid FROM "run_steps" s JOIN "runs" r ON r.id = s.run_id ORDER BY s.id;
                DROP TABLE "run_steps";
                DROP TABLE "runs";
                ALTER TABLE "ef_temp_runs" RENAME TO "runs";
                ALTER TABLE "ef_temp_run_steps" RENAME TO "run_steps";
                {RunIndexes}
                CREATE UNIQUE INDEX "IX_run_steps_run_key_step_index" ON "run_steps" ("run_key", "step_index");
                """);
            migrationBuilder.Sql("PRAGMA foreign_keys = 1;", suppressTransaction: true);
            RunCounts.CreateTriggers(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("PRAGMA foreign_keys = 0;", suppressTransaction: true);
            migrationBuilder.Sql(
                $"""
                CREATE TABLE "ef_temp_runs" (
                    "id" TEXT NOT NULL CONSTRAINT "PK_runs" PRIMARY KEY,
                {RunTableColumns}
                );
                INSERT INTO "ef_temp_runs" ({RunColumns}) SELECT {RunColumns} FROM "runs" ORDER BY "key";
                CREATE TABLE "ef_temp_run_steps" (
                {StepTableColumns}
                    "run_id" TEXT NOT NULL,
                    CONSTRAINT "FK_run_steps_runs_run_id" FOREIGN KEY ("run_id") REFERENCES "runs" ("id") ON DELETE CASCADE
                );
                INSERT INTO "ef_temp_run_steps" ({StepColumns}, "run_id")
                SELECT {Prefixed("s", StepColumns)}, r.id FROM "run_steps" s JOIN "runs" r ON r.key = s.run_key ORDER BY s.id;
                DROP TABLE "run_steps";
                DROP TABLE "runs";
                ALTER TABLE "ef_temp_runs" RENAME TO "runs";
                ALTER TABLE "ef_temp_run_steps" RENAME TO "run_steps";
                {RunIndexes}
                CREATE UNIQUE INDEX "IX_run_steps_run_id_step_index" ON "run_steps" ("run_id", "step_index");
                """);
            migrationBuilder.Sql("PRAGMA foreign_keys = 1;", suppressTransaction: true);
            RunCounts.CreateTriggers(migrationBuilder);
        }

        private static string Prefixed(string alias, string columns) =>
            string.Join(", ", columns.Split(", ").Select(c => $"{alias}.{c}"));
    }
}
