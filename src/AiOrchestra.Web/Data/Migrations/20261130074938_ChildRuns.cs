using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ChildRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "child_key",
                table: "runs",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "parent_item_index",
                table: "runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "parent_run_id",
                table: "runs",
                type: "TEXT",
                maxLength: 36,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "parent_step_id",
                table: "runs",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs",
                columns: new[] { "parent_run_id", "child_key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_parent_run_id_child_key",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "child_key",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "parent_item_index",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "parent_run_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "parent_step_id",
                table: "runs");
        }
    }
}
