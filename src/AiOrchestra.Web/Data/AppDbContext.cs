using System.Text;
using AiOrchestra.Engine.Execution;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AiOrchestra.Web.Data;

/// <summary>The one database: Identity's users beside the workflows, prompts and runs they own.</summary>
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
    public DbSet<Triggers.TriggerState> TriggerStates => Set<Triggers.TriggerState>();
    public DbSet<Triggers.TriggerFiring> TriggerFirings => Set<Triggers.TriggerFiring>();

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
        builder.ApplyConfiguration(new Triggers.TriggerState.Configuration());
        builder.ApplyConfiguration(new Triggers.TriggerFiring.Configuration());
        builder.ApplyConfiguration(new SharedKey.Configuration());

        // snake_case columns for our tables (Identity keeps its own names)
        foreach (var type in new[] { typeof(WorkflowRecord), typeof(WorkflowVersion), typeof(PromptRecord), typeof(PromptVersion), typeof(Run), typeof(RunStep), typeof(RunStepItem) })
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

    private sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v));

    private sealed class RunStatusConverter() : ValueConverter<RunStatus, string>(
        v => v.ToText(),
        v => Enum.Parse<RunStatus>(v, true));

    private sealed class StepStatusConverter() : ValueConverter<StepStatus, string>(
        v => WorkflowResultJson.StatusName(v),
        v => Enum.Parse<StepStatus>(v, true));
}
