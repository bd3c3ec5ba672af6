using AiOrchestra.Engine.Execution;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>One step of a run: written when it starts and again when it finishes.</summary>
public sealed class RunStep
{
    public long Id { get; set; }

    /// <summary>Its run's <see cref="Run.Key"/>, not the run's id: the step rows and their index are read by run far more often than they are shown.</summary>
    public long RunKey { get; set; }
    public int Index { get; set; }
    public required string StepId { get; set; }
    public StepStatus Status { get; set; }

    /// <summary>The step's output as JSON text; null until it finishes or when it produced nothing.</summary>
    public string? Output { get; set; }

    /// <summary>The output's full size in bytes when the stored one was cut (<c>Retention:MaxOutputBytes</c>); null when whole.</summary>
    public long? OutputBytes { get; set; }

    public string? Error { get; set; }
    public int Attempts { get; set; }
    public long DurationMs { get; set; }
    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }

    /// <summary>
    /// The stored prompts the step rendered and its LLM calls with their costs, as JSON (see <c>LlmPrices.Priced</c>);
    /// null for the steps that did neither.
    /// </summary>
    public string? Ledger { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The number its step-started event had live (the run's event ids): a replay from the store sends the same.</summary>
    public long? StartedEvent { get; set; }

    /// <summary>The number its step-finished event had live; null when not finished, or when an answer changed it since.</summary>
    public long? FinishedEvent { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<RunStep>
    {
        public void Configure(EntityTypeBuilder<RunStep> entity)
        {
            entity.ToTable("run_steps");
            entity.Property(s => s.StepId).HasMaxLength(64);
            // stored compactly (see StoredOutput): every reader gets the output as the step gave it
            entity.Property(s => s.Output).HasConversion(v => v, v => StoredOutput.Read(v));
            entity.Property(s => s.Ledger).HasConversion(v => StoredLedger.Write(v), v => StoredLedger.Read(v));
            entity.Property(s => s.Index).HasColumnName("step_index"); // "index" is an SQL keyword
            entity.HasIndex(s => new { s.RunKey, s.Index }).IsUnique();
            entity.HasOne<Run>().WithMany(r => r.Steps).HasForeignKey(s => s.RunKey).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
