using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class Projects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // left by a Down of this migration
            migrationBuilder.Sql("DROP TABLE IF EXISTS projects_gone;");

            migrationBuilder.DropForeignKey(
                name: "FK_alert_channels_AspNetUsers_owner_id",
                table: "alert_channels");

            migrationBuilder.DropForeignKey(
                name: "FK_alert_events_AspNetUsers_owner_id",
                table: "alert_events");

            migrationBuilder.DropForeignKey(
                name: "FK_alert_rules_AspNetUsers_owner_id",
                table: "alert_rules");

            migrationBuilder.DropForeignKey(
                name: "FK_llm_usage_days_AspNetUsers_owner_id",
                table: "llm_usage_days");

            migrationBuilder.DropForeignKey(
                name: "FK_prompts_AspNetUsers_owner_id",
                table: "prompts");

            migrationBuilder.DropForeignKey(
                name: "FK_runs_AspNetUsers_owner_id",
                table: "runs");

            migrationBuilder.DropForeignKey(
                name: "FK_workflow_retention_AspNetUsers_owner_id",
                table: "workflow_retention");

            migrationBuilder.DropForeignKey(
                name: "FK_workflows_AspNetUsers_owner_id",
                table: "workflows");

            migrationBuilder.AddColumn<string>(
                name: "project_id",
                table: "personal_access_tokens",
                type: "TEXT",
                maxLength: 36,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "projects",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    personal_user_id = table.Column<string>(type: "TEXT", nullable: true),
                    uses_instance_credentials = table.Column<bool>(type: "INTEGER", nullable: false, defaultValue: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_projects", x => x.id);
                    table.ForeignKey(
                        name: "FK_projects_AspNetUsers_personal_user_id",
                        column: x => x.personal_user_id,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "project_credentials",
                columns: table => new
                {
                    project_id = table.Column<string>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ciphertext = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_project_credentials", x => new { x.project_id, x.key });
                    table.ForeignKey(
                        name: "FK_project_credentials_projects_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "project_members",
                columns: table => new
                {
                    project_id = table.Column<string>(type: "TEXT", nullable: false),
                    user_id = table.Column<string>(type: "TEXT", nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_project_members", x => new { x.project_id, x.user_id });
                    table.ForeignKey(
                        name: "FK_project_members_AspNetUsers_user_id",
                        column: x => x.user_id,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_project_members_projects_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_personal_access_tokens_project_id",
                table: "personal_access_tokens",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "IX_project_members_user_id",
                table: "project_members",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "IX_projects_personal_user_id",
                table: "projects",
                column: "personal_user_id",
                unique: true);

            // every existing user's personal project, with their id: the owner ids already stored name it unchanged
            migrationBuilder.Sql(
                """
                INSERT INTO projects (id, name, personal_user_id, uses_instance_credentials, created_at)
                SELECT Id, COALESCE(UserName, Id), Id, 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM AspNetUsers;
                """);
            migrationBuilder.AddForeignKey(
                name: "FK_alert_channels_projects_owner_id",
                table: "alert_channels",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_alert_events_projects_owner_id",
                table: "alert_events",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_alert_rules_projects_owner_id",
                table: "alert_rules",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_llm_usage_days_projects_owner_id",
                table: "llm_usage_days",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_personal_access_tokens_projects_project_id",
                table: "personal_access_tokens",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_prompts_projects_owner_id",
                table: "prompts",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_runs_projects_owner_id",
                table: "runs",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_workflow_retention_projects_owner_id",
                table: "workflow_retention",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_workflows_projects_owner_id",
                table: "workflows",
                column: "owner_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
            // SQLite changes a foreign key by rebuilding the table (after every other operation here), which drops runs'
            // run_counts triggers: the next migration, RunCountsAfterProjects, creates them again
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_alert_channels_projects_owner_id",
                table: "alert_channels");

            migrationBuilder.DropForeignKey(
                name: "FK_alert_events_projects_owner_id",
                table: "alert_events");

            migrationBuilder.DropForeignKey(
                name: "FK_alert_rules_projects_owner_id",
                table: "alert_rules");

            migrationBuilder.DropForeignKey(
                name: "FK_llm_usage_days_projects_owner_id",
                table: "llm_usage_days");

            migrationBuilder.DropForeignKey(
                name: "FK_personal_access_tokens_projects_project_id",
                table: "personal_access_tokens");

            migrationBuilder.DropForeignKey(
                name: "FK_prompts_projects_owner_id",
                table: "prompts");

            migrationBuilder.DropForeignKey(
                name: "FK_runs_projects_owner_id",
                table: "runs");

            migrationBuilder.DropForeignKey(
                name: "FK_workflow_retention_projects_owner_id",
                table: "workflow_retention");

            migrationBuilder.DropForeignKey(
                name: "FK_workflows_projects_owner_id",
                table: "workflows");

            migrationBuilder.DropTable(
                name: "project_credentials");

            migrationBuilder.DropTable(
                name: "project_members");

            // Not dropped here: SQLite rebuilds the owners' tables (their foreign keys back to AspNetUsers) after every
            // other operation, so dropping it now would delete through their cascades. Renamed, the rebuild drops its
            // references; Up removes what is left.
            migrationBuilder.Sql("ALTER TABLE projects RENAME TO projects_gone;");

            migrationBuilder.DropIndex(
                name: "IX_personal_access_tokens_project_id",
                table: "personal_access_tokens");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "personal_access_tokens");

            migrationBuilder.AddForeignKey(
                name: "FK_alert_channels_AspNetUsers_owner_id",
                table: "alert_channels",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_alert_events_AspNetUsers_owner_id",
                table: "alert_events",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_alert_rules_AspNetUsers_owner_id",
                table: "alert_rules",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_llm_usage_days_AspNetUsers_owner_id",
                table: "llm_usage_days",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_prompts_AspNetUsers_owner_id",
                table: "prompts",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_runs_AspNetUsers_owner_id",
                table: "runs",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_workflow_retention_AspNetUsers_owner_id",
                table: "workflow_retention",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_workflows_AspNetUsers_owner_id",
                table: "workflows",
                column: "owner_id",
                principalTable: "AspNetUsers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
            // the rebuild back drops runs' run_counts triggers as well: they are not restored by going down
        }
    }
}
