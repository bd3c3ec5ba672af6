using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class Triggers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "trigger_states",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workflow_record_id = table.Column<long>(type: "INTEGER", nullable: false),
                    owner_id = table.Column<string>(type: "TEXT", nullable: false),
                    workflow_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    trigger_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    token_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    token = table.Column<string>(type: "TEXT", nullable: true),
                    secret = table.Column<string>(type: "TEXT", nullable: true),
                    schedule_key = table.Column<string>(type: "TEXT", nullable: true),
                    next_due_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cursor = table.Column<string>(type: "TEXT", nullable: true),
                    last_fired_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_run_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    last_error_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_trigger_states", x => x.id);
                    table.ForeignKey(
                        name: "FK_trigger_states_workflows_workflow_record_id",
                        column: x => x.workflow_record_id,
                        principalTable: "workflows",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "trigger_firings",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    trigger_state_id = table.Column<long>(type: "INTEGER", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    run_id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_trigger_firings", x => x.id);
                    table.ForeignKey(
                        name: "FK_trigger_firings_trigger_states_trigger_state_id",
                        column: x => x.trigger_state_id,
                        principalTable: "trigger_states",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_trigger_firings_created_at",
                table: "trigger_firings",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_trigger_firings_trigger_state_id_key",
                table: "trigger_firings",
                columns: new[] { "trigger_state_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_trigger_states_token_hash",
                table: "trigger_states",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_trigger_states_type_enabled_next_due_at",
                table: "trigger_states",
                columns: new[] { "type", "enabled", "next_due_at" });

            migrationBuilder.CreateIndex(
                name: "IX_trigger_states_workflow_record_id_trigger_id",
                table: "trigger_states",
                columns: new[] { "workflow_record_id", "trigger_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "trigger_firings");

            migrationBuilder.DropTable(
                name: "trigger_states");
        }
    }
}
