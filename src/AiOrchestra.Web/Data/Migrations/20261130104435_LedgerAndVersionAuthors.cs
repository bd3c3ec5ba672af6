using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class LedgerAndVersionAuthors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "saved_by",
                table: "workflow_versions",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ledger",
                table: "run_steps",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "saved_by",
                table: "prompt_versions",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "llm_usage_days",
                columns: table => new
                {
                    owner_id = table.Column<string>(type: "TEXT", nullable: false),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    day = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    calls = table.Column<int>(type: "INTEGER", nullable: false),
                    input_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    output_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    cost = table.Column<double>(type: "REAL", nullable: false),
                    unpriced_calls = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_llm_usage_days", x => new { x.owner_id, x.day, x.workflow_id });
                    table.ForeignKey(
                        name: "FK_llm_usage_days_AspNetUsers_owner_id",
                        column: x => x.owner_id,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "llm_usage_days");

            migrationBuilder.DropColumn(
                name: "saved_by",
                table: "workflow_versions");

            migrationBuilder.DropColumn(
                name: "ledger",
                table: "run_steps");

            migrationBuilder.DropColumn(
                name: "saved_by",
                table: "prompt_versions");
        }
    }
}
