using System.Net;
using System.Net.Sockets;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Refuses every address that is not a public unicast one: loopback, private, link-local, CGNAT, multicast,
/// reserved, benchmarking, cloud metadata, and the IPv6 forms that carry one of these inside (IPv4-mapped,
/// IPv4-compatible, NAT64, 6to4, Teredo). Checked on the resolved address at connect time, so DNS rebinding
/// cannot slip past a save-time check.
/// </summary>
public static class UrlGuard
{
    // First match wins, so the narrow ranges come before the wide ones that contain them.
    private static readonly (IPNetwork Network, string Reason)[] V4Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.169.254/32"), "cloud metadata"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        // Oracle Cloud's metadata service lives in the IETF protocol block.
        (IPNetwork.Parse("192.0.0.192/32"), "cloud metadata"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignment"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
    ];

    private static readonly IPNetwork Ipv4Translated = IPNetwork.Parse("::ffff:0:0:0/96");
    private static readonly IPNetwork Ipv4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Nat64LocalUse = IPNetwork.Parse("64:ff9b:1::/48");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");
    private static readonly IPNetwork UniqueLocal = IPNetwork.Parse("fc00::/7");
    private static readonly IPNetwork SiteLocal = IPNetwork.Parse("fec0::/10");
    private static readonly IPNetwork LinkLocal = IPNetwork.Parse("fe80::/10");
    private static readonly IPNetwork Multicast = IPNetwork.Parse("ff00::/8");

    /// <summary>Why the portal must not call this address, or null for a public unicast address.</summary>
    public static string? WhyBlocked(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return WhyBlockedV4(address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "unsupported";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }

        var bytes = address.GetAddressBytes();

        // IPNetwork.Contains never matches an IPv4-mapped address against an IPv6 network: test it by its flag.
        if (address.IsIPv4MappedToIPv6 || Ipv4Translated.Contains(address))
        {
            return WhyBlockedV4(Embedded(bytes, 12));
        }

        // Deprecated or local-use translation forms: no receiver needs them, so they are refused whatever they
        // carry; the reason names what is inside when that is itself refused.
        if (Ipv4Compatible.Contains(address))
        {
            return Inside(WhyBlockedV4(Embedded(bytes, 12)), "IPv4-compatible");
        }

        if (Nat64LocalUse.Contains(address))
        {
            return "local-use NAT64";
        }

        if (SixToFour.Contains(address))
        {
            return Inside(WhyBlockedV4(Embedded(bytes, 2)), "6to4");
        }

        if (Teredo.Contains(address))
        {
            // The client's address is the last 32 bits, inverted; the Teredo server's is bits 32-63.
            var client = new IPAddress(bytes[12..16].Select(b => (byte)~b).ToArray());
            return Inside(WhyBlockedV4(client) ?? WhyBlockedV4(Embedded(bytes, 4)), "Teredo");
        }

        // The well-known NAT64 prefix is how IPv6-only networks (DNS64) reach public IPv4 receivers: only the
        // embedded address decides.
        if (Nat64.Contains(address))
        {
            return WhyBlockedV4(Embedded(bytes, 12)) is { } reason ? $"{reason} (through NAT64)" : null;
        }

        if (LinkLocal.Contains(address))
        {
            return "link-local";
        }

        if (Multicast.Contains(address))
        {
            return "multicast";
        }

        // fc00::/7 unique local includes AWS's fd00:ec2::254 metadata address.
        if (UniqueLocal.Contains(address) || SiteLocal.Contains(address))
        {
            return "private";
        }

        return null;
    }

    private static string? WhyBlockedV4(IPAddress address)
    {
        foreach (var (network, reason) in V4Ranges)
        {
            if (network.Contains(address))
            {
                return reason;
            }
        }

        return null;
    }

    private static IPAddress Embedded(byte[] bytes, int offset) => new(bytes[offset..(offset + 4)]);

    private static string Inside(string? embeddedReason, string form) => embeddedReason is null ? $"{form} (deprecated)" : $"{embeddedReason} (embedded in {form})";

    public static bool IsAllowedHost(string host, IReadOnlyCollection<string> allowedHosts) =>
        allowedHosts.Any(h => string.Equals(h.Trim(), host, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Save-time check: an absolute http(s) URL whose host, if a literal address, is not blocked. Uri has already
    /// turned decimal, octal and hex IPv4 forms (http://2852039166/, http://0xa9.254.169.254/) into dotted
    /// quads; a trailing dot (http://127.0.0.1./) is dropped before parsing. Names are checked when connecting.
    /// </summary>
    public static string? ValidateUrl(string? url, IReadOnlyCollection<string> allowedHosts)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            return "The URL must be an absolute http or https URL.";
        }

        var host = uri.IdnHost.Trim('[', ']').TrimEnd('.');
        if (!IsAllowedHost(uri.Host, allowedHosts) && IPAddress.TryParse(host, out var literal) && WhyBlocked(literal) is { } reason)
        {
            return $"The URL points to a non-public address ({reason}), which the portal refuses to call (see Outbound:AllowedHosts).";
        }

        return null;
    }

    /// <summary>
    /// The connect step of the delivery HttpClient: resolves the host, refuses guarded addresses unless the
    /// host is allowed, and connects to the first acceptable address.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, IReadOnlyCollection<string> allowedHosts, CancellationToken ct)
    {
        var allowed = IsAllowedHost(endpoint.Host, allowedHosts);
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        if (!allowed)
        {
            foreach (var address in addresses)
            {
                if (WhyBlocked(address) is { } reason)
                {
                    // Whoever reads the attempt learns that the name is internal, not where it points.
                    throw new UrlGuardException($"Refused by the URL guard: {endpoint.Host} resolves to a non-public address ({reason}).", address);
                }
            }
        }

        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
