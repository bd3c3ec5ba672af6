namespace AiOrchestra.Web.Metrics;

/// <summary>
/// The <c>Metrics</c> section: the Prometheus endpoint <c>/metrics</c>, off unless enabled, and then protected by a
/// token, an address allow list, or both (both must pass).
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    public bool Enabled { get; set; }

    /// <summary>The bearer token a scraper sends (<c>Authorization: Bearer …</c>).</summary>
    public string? Token { get; set; }

    /// <summary>Addresses or CIDR ranges allowed to scrape (<c>10.0.0.5</c>, <c>10.0.0.0/8</c>, <c>::1</c>); an entry may list several, comma-separated.</summary>
    public string[] AllowedAddresses { get; set; } = [];
}
