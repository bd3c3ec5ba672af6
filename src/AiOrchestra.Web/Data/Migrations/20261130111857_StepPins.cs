using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class StepPins : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "step_pins",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workflow_record_id = table.Column<long>(type: "INTEGER", nullable: false),
                    step_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    output = table.Column<string>(type: "TEXT", nullable: false),
                    from_run_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: true),
                    pinned_at = table.Column<long>(type: "INTEGER", nullable: false),
                    pinned_by = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_step_pins", x => x.id);
                    table.ForeignKey(
                        name: "FK_step_pins_workflows_workflow_record_id",
                        column: x => x.workflow_record_id,
                        principalTable: "workflows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_step_pins_workflow_record_id_step_id",
                table: "step_pins",
                columns: new[] { "workflow_record_id", "step_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "step_pins");
        }
    }
}
