using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunQueueIndexesPartial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_status_id",
                table: "runs");

            migrationBuilder.CreateIndex(
                name: "IX_runs_queued",
                table: "runs",
                columns: new[] { "status", "id" },
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "IX_runs_queued_by_owner",
                table: "runs",
                columns: new[] { "status", "owner_id", "id" },
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "IX_runs_running",
                table: "runs",
                columns: new[] { "status", "id" },
                filter: "status = 'running'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_queued",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_queued_by_owner",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_running",
                table: "runs");

            migrationBuilder.CreateIndex(
                name: "IX_runs_status_id",
                table: "runs",
                columns: new[] { "status", "id" });
        }
    }
}
