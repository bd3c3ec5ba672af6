using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class WorkflowRetentionAndOutputCap : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "output_bytes",
                table: "run_steps",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "workflow_retention",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    owner_id = table.Column<string>(type: "TEXT", nullable: false),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    days = table.Column<int>(type: "INTEGER", nullable: true),
                    failed_days = table.Column<int>(type: "INTEGER", nullable: true),
                    max_runs = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workflow_retention", x => x.id);
                    table.ForeignKey(
                        name: "FK_workflow_retention_AspNetUsers_owner_id",
                        column: x => x.owner_id,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_workflow_retention_owner_id_workflow_id",
                table: "workflow_retention",
                columns: new[] { "owner_id", "workflow_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "workflow_retention");

            migrationBuilder.DropColumn(
                name: "output_bytes",
                table: "run_steps");
        }
    }
}
