using System.Text;
using AiOrchestra.Engine.Execution;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AiOrchestra.Web.Data;

/// <summary>The one database: Identity's users and their projects beside the workflows, prompts and runs the projects own.</summary>
public class AppDbContext : IdentityDbContext<AppUser>, IDataProtectionKeyContext
{
    public AppDbContext(DbContextOptions<AppDbContext> options) : base(options)
    {
    }

    /// <summary>For <see cref="Postgres.PostgresDbContext"/>, the same model under PostgreSQL's migrations.</summary>
    protected AppDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<WorkflowRecord> Workflows => Set<WorkflowRecord>();
    public DbSet<WorkflowVersion> WorkflowVersions => Set<WorkflowVersion>();
    public DbSet<PromptRecord> Prompts => Set<PromptRecord>();
    public DbSet<PromptVersion> PromptVersions => Set<PromptVersion>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<RunStep> RunSteps => Set<RunStep>();
    public DbSet<RunStepItem> RunStepItems => Set<RunStepItem>();
    public DbSet<RunWait> RunWaits => Set<RunWait>();
    public DbSet<RunStepEntry> RunStepEntries => Set<RunStepEntry>();

    /// <summary>The steps of the run <paramref name="runId"/>: they reference it by its key, found through the run's id.</summary>
    public IQueryable<RunStep> StepsOf(string runId) => Runs.Where(r => r.Id == runId).SelectMany(r => r.Steps);

    public DbSet<RunCount> RunCounts => Set<RunCount>();
    public DbSet<LlmUsageDay> LlmUsageDays => Set<LlmUsageDay>();
    public DbSet<StepPin> StepPins => Set<StepPin>();
    public DbSet<Triggers.TriggerState> TriggerStates => Set<Triggers.TriggerState>();
    public DbSet<Triggers.TriggerFiring> TriggerFirings => Set<Triggers.TriggerFiring>();
    public DbSet<Alerts.AlertChannel> AlertChannels => Set<Alerts.AlertChannel>();
    public DbSet<Alerts.AlertRule> AlertRules => Set<Alerts.AlertRule>();
    public DbSet<Alerts.AlertState> AlertStates => Set<Alerts.AlertState>();
    public DbSet<Alerts.AlertEvent> AlertEvents => Set<Alerts.AlertEvent>();
    public DbSet<History.WorkflowRetention> WorkflowRetentions => Set<History.WorkflowRetention>();
    public DbSet<AiOrchestra.Web.Tokens.PersonalAccessToken> PersonalAccessTokens => Set<AiOrchestra.Web.Tokens.PersonalAccessToken>();
    public DbSet<AiOrchestra.Web.Audit.AuditEntry> AuditEntries => Set<AiOrchestra.Web.Audit.AuditEntry>();
    public DbSet<AiOrchestra.Web.Users.Invitation> Invitations => Set<AiOrchestra.Web.Users.Invitation>();
    public DbSet<AiOrchestra.Web.Projects.Project> Projects => Set<AiOrchestra.Web.Projects.Project>();
    public DbSet<AiOrchestra.Web.Projects.ProjectMember> ProjectMembers => Set<AiOrchestra.Web.Projects.ProjectMember>();
    public DbSet<AiOrchestra.Web.Projects.ProjectCredential> ProjectCredentials => Set<AiOrchestra.Web.Projects.ProjectCredential>();

    /// <summary>Data Protection's key ring, shared by every process on PostgreSQL (SQLite keeps it under data/keys/).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<SharedKey> SharedKeys => Set<SharedKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Unix milliseconds: sortable and comparable in SQL on every provider, and simple to write from the run writer.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        configurationBuilder.Properties<RunStatus>().HaveConversion<RunStatusConverter>().HaveMaxLength(16);
        configurationBuilder.Properties<StepStatus>().HaveConversion<StepStatusConverter>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfiguration(new WorkflowRecord.Configuration());
        builder.ApplyConfiguration(new WorkflowVersion.Configuration());
        builder.ApplyConfiguration(new PromptRecord.Configuration());
        builder.ApplyConfiguration(new Run.Configuration());
        builder.ApplyConfiguration(new PromptVersion.Configuration());
        builder.ApplyConfiguration(new RunStep.Configuration());
        builder.ApplyConfiguration(new RunStepItem.Configuration());
        builder.ApplyConfiguration(new RunWait.Configuration());
        builder.ApplyConfiguration(new RunStepEntry.Configuration());
        builder.ApplyConfiguration(new RunCount.Configuration());
        builder.ApplyConfiguration(new LlmUsageDay.Configuration());
        builder.ApplyConfiguration(new StepPin.Configuration());
        builder.ApplyConfiguration(new Triggers.TriggerState.Configuration());
        builder.ApplyConfiguration(new Triggers.TriggerFiring.Configuration());
        builder.ApplyConfiguration(new Alerts.AlertChannel.Configuration());
        builder.ApplyConfiguration(new Alerts.AlertRule.Configuration());
        builder.ApplyConfiguration(new Alerts.AlertState.Configuration());
        builder.ApplyConfiguration(new Alerts.AlertEvent.Configuration());
        builder.ApplyConfiguration(new History.WorkflowRetention.Configuration());

        builder.ApplyConfiguration(new AiOrchestra.Web.Users.Invitation.Configuration());
        builder.ApplyConfiguration(new AiOrchestra.Web.Tokens.PersonalAccessToken.Configuration());
        builder.ApplyConfiguration(new AiOrchestra.Web.Audit.AuditEntry.Configuration());
        builder.ApplyConfiguration(new SharedKey.Configuration());
        builder.ApplyConfiguration(new AiOrchestra.Web.Projects.Project.Configuration());
        builder.ApplyConfiguration(new AiOrchestra.Web.Projects.ProjectMember.Configuration());
        builder.ApplyConfiguration(new AiOrchestra.Web.Projects.ProjectCredential.Configuration());
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityRole>().HasData(AiOrchestra.Web.Users.Roles.AdministratorRole);

        // snake_case columns for our tables (Identity keeps its own names)
        foreach (var type in new[] { typeof(WorkflowRecord), typeof(WorkflowVersion), typeof(PromptRecord), typeof(PromptVersion), typeof(Run), typeof(RunStep), typeof(RunStepItem), typeof(RunWait), typeof(RunStepEntry), typeof(RunCount), typeof(LlmUsageDay), typeof(StepPin),
                     typeof(Alerts.AlertChannel), typeof(Alerts.AlertRule), typeof(Alerts.AlertState), typeof(Alerts.AlertEvent),
                     typeof(History.WorkflowRetention), typeof(AiOrchestra.Web.Users.Invitation), typeof(AiOrchestra.Web.Tokens.PersonalAccessToken), typeof(AiOrchestra.Web.Audit.AuditEntry),
                     typeof(AiOrchestra.Web.Projects.Project), typeof(AiOrchestra.Web.Projects.ProjectMember), typeof(AiOrchestra.Web.Projects.ProjectCredential) })
        {
            foreach (var property in builder.Entity(type).Metadata.GetProperties().Where(p => p.GetColumnName() == p.Name))
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    // internal, not private: the compiled model (Data/CompiledModels) creates them
    internal sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v));

    internal sealed class RunStatusConverter() : ValueConverter<RunStatus, string>(
        v => v.ToText(),
        v => Enum.Parse<RunStatus>(v, true));

    internal sealed class StepStatusConverter() : ValueConverter<StepStatus, string>(
        v => WorkflowResultJson.StatusName(v),
        v => Enum.Parse<StepStatus>(v, true));
}
