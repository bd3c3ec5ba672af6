using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <summary>
    /// The run_counts triggers again: the Projects migration rebuilt <c>runs</c> (SQLite's way to change a foreign key),
    /// which dropped them, and its rebuilds run after everything else in it, so they cannot come back there.
    /// </summary>
    public partial class RunCountsAfterProjects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            RunCounts.CreateTriggers(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_insert;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_finish;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS run_counts_delete;");
        }
    }
}
