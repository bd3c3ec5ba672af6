using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AiOrchestra.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class AuditRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // retention may delete entries past Retention__AuditDays; nothing can delete one younger than 90 days
            // (RetentionOptions.AuditFloorDays), so the log still cannot be trimmed to hide a recent action
            migrationBuilder.Sql("DROP TRIGGER audit_entries_no_delete;");
            migrationBuilder.Sql("CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries WHEN old.at > (unixepoch() - 90 * 86400) * 1000 BEGIN SELECT RAISE(ABORT, 'audit entries younger than 90 days cannot be deleted'); END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER audit_entries_no_delete;");
            migrationBuilder.Sql("CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END;");
        }
    }
}
