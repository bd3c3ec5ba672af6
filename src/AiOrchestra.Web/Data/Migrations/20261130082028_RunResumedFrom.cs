using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunResumedFrom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "resumed_from_run_id",
                table: "runs",
                type: "TEXT",
                maxLength: 36,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_runs_resumed_from_run_id",
                table: "runs",
                column: "resumed_from_run_id",
                filter: "resumed_from_run_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_resumed_from_run_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "resumed_from_run_id",
                table: "runs");
        }
    }
}
