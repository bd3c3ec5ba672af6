using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Alerts;

/// <summary>Where a user's alerts go: a webhook (Slack-compatible or generic JSON body) or e-mail over SMTP.</summary>
public sealed class AlertChannel
{
    public long Id { get; set; }
    public required string OwnerId { get; set; }
    public required string Name { get; set; }

    /// <summary>One of <see cref="AlertChannelKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>The webhook's URL or the e-mail recipients, encrypted with Data Protection (a Slack URL is a credential).</summary>
    public required string ProtectedTarget { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<AlertChannel>
    {
        public void Configure(EntityTypeBuilder<AlertChannel> entity)
        {
            entity.ToTable("alert_channels");
            entity.Property(c => c.Name).HasMaxLength(AlertLimits.NameLength);
            entity.Property(c => c.Kind).HasMaxLength(16);
            entity.HasIndex(c => new { c.OwnerId, c.Name }).IsUnique();
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(c => c.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}

public static class AlertChannelKinds
{
    public const string Slack = "slack";
    public const string Webhook = "webhook";
    public const string Email = "email";

    public static readonly string[] All = [Slack, Webhook, Email];

    public static string Describe(string kind) => kind switch
    {
        Slack => "Webhook, Slack-compatible body",
        Webhook => "Webhook, generic JSON body",
        Email => "E-mail (SMTP)",
        _ => kind,
    };
}

public static class AlertLimits
{
    public const int NameLength = 80;
    public const int TargetLength = 2000;
    public const int ChannelsPerOwner = 50;
    public const int RulesPerOwner = 200;
    public const int HistoryShown = 100;
}
