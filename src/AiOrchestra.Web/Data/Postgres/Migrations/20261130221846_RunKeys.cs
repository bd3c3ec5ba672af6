using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace AiOrchestra.Web.Data.Postgres.Migrations
{
    /// <summary>
    /// <c>runs</c> gets an integer key and <c>run_steps</c> references it instead of the 36-character run id (RESULTS.md,
    /// keys18). The run id stays unique for everything else; the foreign keys that name it are tied to the old primary
    /// key's index, so they are dropped and made again on the id's unique constraint. Each step keeps its run through the id.
    /// </summary>
    public partial class RunKeys : Migration
    {
        private static readonly string[] ById = ["run_waits", "run_step_items", "run_step_entries"];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // an identity column added to a table with rows numbers them
            migrationBuilder.AddColumn<long>(
                name: "key",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);

            migrationBuilder.AddUniqueConstraint(
                name: "AK_runs_id",
                table: "runs",
                column: "id");

            migrationBuilder.AddColumn<long>(
                name: "run_key",
                table: "run_steps",
                type: "bigint",
                nullable: true);

            migrationBuilder.Sql("UPDATE run_steps s SET run_key = r.key FROM runs r WHERE r.id = s.run_id;");

            migrationBuilder.AlterColumn<long>(
                name: "run_key",
                table: "run_steps",
                type: "bigint",
                nullable: false,
                oldClrType: typeof(long),
                oldType: "bigint",
                oldNullable: true);

            migrationBuilder.DropForeignKey(
                name: "FK_run_steps_runs_run_id",
                table: "run_steps");

            foreach (var table in ById)
            {
                migrationBuilder.DropForeignKey(name: $"FK_{table}_runs_run_id", table: table);
            }

            migrationBuilder.DropIndex(
                name: "IX_run_steps_run_id_step_index",
                table: "run_steps");

            migrationBuilder.DropColumn(
                name: "run_id",
                table: "run_steps");

            migrationBuilder.DropPrimaryKey(
                name: "PK_runs",
                table: "runs");

            migrationBuilder.AddPrimaryKey(
                name: "PK_runs",
                table: "runs",
                column: "key");

            foreach (var table in ById)
            {
                migrationBuilder.AddForeignKey(
                    name: $"FK_{table}_runs_run_id",
                    table: table,
                    column: "run_id",
                    principalTable: "runs",
                    principalColumn: "id",
                    onDelete: ReferentialAction.Cascade);
            }

            migrationBuilder.CreateIndex(
                name: "IX_run_steps_run_key_step_index",
                table: "run_steps",
                columns: new[] { "run_key", "step_index" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_run_steps_runs_run_key",
                table: "run_steps",
                column: "run_key",
                principalTable: "runs",
                principalColumn: "key",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "run_id",
                table: "run_steps",
                type: "character varying(36)",
                nullable: true);

            migrationBuilder.Sql("UPDATE run_steps s SET run_id = r.id FROM runs r WHERE r.key = s.run_key;");

            migrationBuilder.AlterColumn<string>(
                name: "run_id",
                table: "run_steps",
                type: "character varying(36)",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(36)",
                oldNullable: true);

            migrationBuilder.DropForeignKey(
                name: "FK_run_steps_runs_run_key",
                table: "run_steps");

            foreach (var table in ById)
            {
                migrationBuilder.DropForeignKey(name: $"FK_{table}_runs_run_id", table: table);
            }

            migrationBuilder.DropIndex(
                name: "IX_run_steps_run_key_step_index",
                table: "run_steps");

            migrationBuilder.DropColumn(
                name: "run_key",
                table: "run_steps");

            migrationBuilder.DropPrimaryKey(
                name: "PK_runs",
                table: "runs");

            migrationBuilder.AddPrimaryKey(
                name: "PK_runs",
                table: "runs",
                column: "id");

            migrationBuilder.DropUniqueConstraint(
                name: "AK_runs_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "key",
                table: "runs");

            migrationBuilder.CreateIndex(
                name: "IX_run_steps_run_id_step_index",
                table: "run_steps",
                columns: new[] { "run_id", "step_index" },
                unique: true);

            foreach (var table in ById.Append("run_steps"))
            {
                migrationBuilder.AddForeignKey(
                    name: $"FK_{table}_runs_run_id",
                    table: table,
                    column: "run_id",
                    principalTable: "runs",
                    principalColumn: "id",
                    onDelete: ReferentialAction.Cascade);
            }
        }
    }
}
