using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace AiOrchestra.Engine.Outbound;

/// <summary>
/// Which addresses a URL typed by a user (the <c>http</c> step's, later connectors' and alert webhooks') may reach.
/// By default: not this machine (loopback, unspecified, its own interface addresses), private, shared, link-local and
/// unique-local networks, multicast and reserved ranges, nor the cloud metadata host names. An allow list of host
/// names, addresses and CIDR ranges (<see cref="AllowKey"/>) opens what a deployment needs; it wins over every rule.
/// The check runs on the resolved address when the connection is made (<see cref="CreateHandler"/>), so no spelling
/// of an address, redirect or DNS answer that changes between check and use gets past it.
/// </summary>
public sealed class OutboundPolicy
{
    /// <summary>The configuration key of the allow list, as an environment variable.</summary>
    public const string AllowKey = "Outbound__Allow";

    private static readonly HashSet<string> MetadataHostNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    };

    // First match names the reason. IPv4-mapped IPv6 addresses are compared as IPv4.
    private static readonly (IPNetwork Range, string Reason)[] RefusedRanges =
    [
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address (this machine)"),
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified address (this machine)"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private network address"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private network address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private network address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (where cloud metadata services answer)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a reserved address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::1/128"), "a loopback address (this machine)"),
        (IPNetwork.Parse("::/128"), "an unspecified address (this machine)"),
        (IPNetwork.Parse("::/96"), "a reserved address"),
        (IPNetwork.Parse("fc00::/7"), "a unique-local (private) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local (private) address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    // Ranges that carry an IPv4 address inside an IPv6 one (NAT64, 6to4): the IPv4 address inside is judged too.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly HashSet<string> _allowedHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _allowedRanges = [];
    private readonly Lazy<HashSet<IPAddress>> _machineAddresses;

    /// <param name="allow">Host names, IP addresses and CIDR ranges that are always allowed.</param>
    /// <param name="machineAddresses">This machine's addresses; read from its network interfaces when null.</param>
    /// <exception cref="FormatException">An entry is none of the three, with a message naming it.</exception>
    public OutboundPolicy(IEnumerable<string> allow, IEnumerable<IPAddress>? machineAddresses = null)
    {
        foreach (var raw in allow)
        {
            var entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }
            if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
            {
                var normal = Normal(address);
                _allowedRanges.Add(new IPNetwork(normal, normal.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (entry.Contains('/'))
            {
                _allowedRanges.Add(IPNetwork.TryParse(entry, out var range)
                    ? range
                    : throw new FormatException($"{AllowKey}: '{entry}' is not a CIDR range such as 10.0.0.0/8 or fd00::/8 (the address must be the range's first)"));
            }
            else if (Uri.CheckHostName(entry) == UriHostNameType.Dns)
            {
                _allowedHosts.Add(entry.TrimEnd('.'));
            }
            else
            {
                throw new FormatException($"{AllowKey}: '{entry}' is not a host name, an IP address or a CIDR range such as 10.0.0.0/8");
            }
        }
        _machineAddresses = new Lazy<HashSet<IPAddress>>(() => (machineAddresses ?? InterfaceAddresses()).Select(Normal).ToHashSet());
    }

    /// <summary>
    /// A handler whose every connection, first call or redirect, passes this policy. It does not follow redirects (the
    /// caller does, so credentials stay with the host they were meant for), uses no proxy (a proxy would be checked
    /// instead of the address typed), keeps no cookies (one user's cookies must not ride along on another's call) and
    /// speaks HTTP/1.1 or HTTP/2 only (HTTP/3 runs over QUIC, which does not pass the connect callback).
    /// </summary>
    public HttpMessageHandler CreateHandler() => new TcpOnly(new SocketsHttpHandler
    {
        ConnectCallback = ConnectAsync,
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
    });

    /// <summary>The addresses of <paramref name="host"/> a connection may use.</summary>
    /// <exception cref="OutboundRefusedException">There is none; the message names the host, the address and the key that allows it.</exception>
    public async Task<IPAddress[]> AllowedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        host = host.Trim('[', ']').TrimEnd('.');
        var allowedByName = _allowedHosts.Contains(host);
        if (!allowedByName && MetadataHostNames.Contains(host))
        {
            throw new OutboundRefusedException(host, null, "a cloud metadata host name");
        }
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (allowedByName)
        {
            return addresses;
        }
        var allowed = addresses.Where(a => Refusal(a) is null).ToArray();
        if (allowed.Length == 0 && addresses.Length > 0)
        {
            throw new OutboundRefusedException(host, Normal(addresses[0]), Refusal(addresses[0])!);
        }
        return allowed;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await AllowedAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        // dual mode (where the system has IPv6), so IPv4 and IPv6 addresses both connect
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Why <paramref name="address"/> is refused, or null when it may be reached.</summary>
    private string? Refusal(IPAddress address)
    {
        address = Normal(address);
        if (_allowedRanges.Any(r => r.Contains(address)))
        {
            return null;
        }
        foreach (var (range, reason) in RefusedRanges)
        {
            if (range.Contains(address))
            {
                return reason;
            }
        }
        if (Nat64.Contains(address) || SixToFour.Contains(address))
        {
            var bytes = address.GetAddressBytes();
            var inner = new IPAddress(Nat64.Contains(address) ? bytes[12..16] : bytes[2..6]);
            if (Refusal(inner) is { } reason)
            {
                return $"{reason} inside an IPv6 address ({inner})";
            }
        }
        return _machineAddresses.Value.Contains(address) ? "an address of this machine" : null;
    }

    private static IPAddress Normal(IPAddress address)
    {
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        // a scope id (fe80::1%2) would make equal addresses differ
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }

    private static IEnumerable<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            // no interface list (a locked-down container): the range rules still apply
            return [];
        }
    }

    private sealed class TcpOnly(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Version.Major >= 3)
            {
                request.Version = HttpVersion.Version20;
            }
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
