namespace AiOrchestra.Web.Metrics;

/// <summary>The <c>Metrics</c> section: the Prometheus endpoint <c>/metrics</c>, off unless enabled, always behind a token.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    public bool Enabled { get; set; }

    /// <summary>The bearer token a scraper sends (<c>Authorization: Bearer …</c>); required when enabled.</summary>
    public string? Token { get; set; }
}
