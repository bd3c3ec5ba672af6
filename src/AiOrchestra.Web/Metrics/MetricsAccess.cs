using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AiOrchestra.Web.Metrics;

/// <summary>Who may scrape <c>/metrics</c>: the token when one is set, an address in the allow list when one is set.</summary>
internal sealed class MetricsAccess
{
    private const int MinTokenLength = 16;

    private readonly byte[]? _expected;
    private readonly IPNetwork[]? _allowed;

    private MetricsAccess(byte[]? expected, IPNetwork[]? allowed)
    {
        _expected = expected;
        _allowed = allowed;
    }

    /// <summary>Reads the settings; a setting to fix is an exception naming it (the start-up shows it as one line).</summary>
    public static MetricsAccess From(MetricsOptions settings)
    {
        var entries = settings.AllowedAddresses
            .SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        var hasToken = !string.IsNullOrWhiteSpace(settings.Token);
        if (!hasToken && entries.Count == 0)
        {
            throw new InvalidOperationException(
                "Metrics:Enabled is true but neither Metrics:Token nor Metrics:AllowedAddresses is set: set Metrics__Token to a long random value (scrapers send it as 'Authorization: Bearer <token>') and/or Metrics__AllowedAddresses to the scraper's address or range (e.g. 10.0.0.0/8), or turn metrics off.");
        }
        if (hasToken && settings.Token!.Length < MinTokenLength)
        {
            throw new InvalidOperationException(
                $"Metrics:Token is shorter than {MinTokenLength} characters: use a long random value, or leave it unset and rely on Metrics:AllowedAddresses.");
        }
        var allowed = entries.Count == 0 ? null : entries.Select(ParseNetwork).ToArray();
        return new MetricsAccess(hasToken ? Encoding.UTF8.GetBytes("Bearer " + settings.Token) : null, allowed);
    }

    /// <summary>Null when the caller may scrape; otherwise the status code and the sentence to answer with.</summary>
    public (int Status, string Message)? Check(HttpContext context)
    {
        if (_allowed is not null)
        {
            var address = context.Connection.RemoteIpAddress;
            if (address is { IsIPv4MappedToIPv6: true })
            {
                address = address.MapToIPv4();
            }
            if (address is null || !_allowed.Any(n => n.Contains(address)))
            {
                return (StatusCodes.Status403Forbidden, $"This address ({address?.ToString() ?? "unknown"}) may not read the metrics: add it to Metrics__AllowedAddresses.");
            }
        }
        if (_expected is not null)
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            {
                return (StatusCodes.Status401Unauthorized, "Send the metrics token (Metrics__Token) as 'Authorization: Bearer <token>'.");
            }
        }
        return null;
    }

    private static IPNetwork ParseNetwork(string entry)
    {
        if (IPNetwork.TryParse(entry, out var network))
        {
            return network;
        }
        if (IPAddress.TryParse(entry, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }
        throw new InvalidOperationException(
            $"Metrics:AllowedAddresses has '{entry}', which is neither an address (10.0.0.5, ::1) nor a range in CIDR notation (10.0.0.0/8): correct or remove it.");
    }
}
