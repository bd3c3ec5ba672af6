using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class AscendingLogsIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_origin_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_status_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_workflow_id_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs");

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_created_at",
                table: "runs",
                columns: new[] { "owner_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_origin_created_at",
                table: "runs",
                columns: new[] { "owner_id", "origin", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_status_created_at",
                table: "runs",
                columns: new[] { "owner_id", "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_workflow_id_created_at",
                table: "runs",
                columns: new[] { "owner_id", "workflow_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs",
                columns: new[] { "parent_run_id", "child_key" },
                unique: true,
                filter: "parent_run_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_origin_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_status_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_owner_id_workflow_id_created_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs");

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_created_at",
                table: "runs",
                columns: new[] { "owner_id", "created_at" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_origin_created_at",
                table: "runs",
                columns: new[] { "owner_id", "origin", "created_at" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_status_created_at",
                table: "runs",
                columns: new[] { "owner_id", "status", "created_at" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "IX_runs_owner_id_workflow_id_created_at",
                table: "runs",
                columns: new[] { "owner_id", "workflow_id", "created_at" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs",
                columns: new[] { "parent_run_id", "child_key" },
                unique: true);
        }
    }
}
