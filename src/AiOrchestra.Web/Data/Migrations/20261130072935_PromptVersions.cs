using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class PromptVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "current_version",
                table: "prompts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "prompt_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    prompt_record_id = table.Column<long>(type: "INTEGER", nullable: false),
                    number = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: true),
                    template = table.Column<string>(type: "TEXT", nullable: false),
                    system_prompt = table.Column<string>(type: "TEXT", nullable: true),
                    model = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    temperature = table.Column<double>(type: "REAL", nullable: true),
                    saved_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_prompt_versions", x => x.id);
                    table.ForeignKey(
                        name: "FK_prompt_versions_prompts_prompt_record_id",
                        column: x => x.prompt_record_id,
                        principalTable: "prompts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_prompt_versions_prompt_record_id_number",
                table: "prompt_versions",
                columns: new[] { "prompt_record_id", "number" },
                unique: true);

            // every prompt saved before versions existed becomes its version 1
            migrationBuilder.Sql("""
                UPDATE prompts SET current_version = 1;
                INSERT INTO prompt_versions (prompt_record_id, number, name, description, template, system_prompt, model, temperature, saved_at)
                SELECT id, 1, name, description, template, system_prompt, model, temperature, updated_at FROM prompts;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "prompt_versions");

            migrationBuilder.DropColumn(
                name: "current_version",
                table: "prompts");
        }
    }
}
