using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class PromptSystemModelTemperature : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "model",
                table: "prompts",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "system_prompt",
                table: "prompts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "temperature",
                table: "prompts",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "model",
                table: "prompts");

            migrationBuilder.DropColumn(
                name: "system_prompt",
                table: "prompts");

            migrationBuilder.DropColumn(
                name: "temperature",
                table: "prompts");
        }
    }
}
