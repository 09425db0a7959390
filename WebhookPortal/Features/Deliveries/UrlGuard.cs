using System.Net;
using System.Net.Sockets;

namespace WebhookPortal.Features.Deliveries;

/// <summary>Raised when a destination resolves to an address the portal must not call.</summary>
public sealed class UrlGuardException(string message) : Exception(message);

/// <summary>
/// Refuses loopback, private, link-local, CGNAT, multicast, unspecified and cloud-metadata addresses.
/// Checked on the resolved address at connect time, so DNS rebinding cannot slip past a save-time check.
/// </summary>
public static class UrlGuard
{
    public static string? WhyBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "loopback";
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b switch
            {
                [0, ..] => "unspecified",
                [10, ..] => "private",
                [172, >= 16 and <= 31, ..] => "private",
                [192, 168, ..] => "private",
                [169, 254, 169, 254] => "cloud metadata",
                [169, 254, ..] => "link-local",
                [100, >= 64 and <= 127, ..] => "carrier-grade NAT",
                [>= 224 and <= 239, ..] => "multicast",
                [255, 255, 255, 255] => "broadcast",
                [>= 240, ..] => "reserved",
                _ => null,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any))
            {
                return "unspecified";
            }

            var b = address.GetAddressBytes();
            if (address.IsIPv6LinkLocal)
            {
                return "link-local";
            }

            if (address.IsIPv6Multicast)
            {
                return "multicast";
            }

            if ((b[0] & 0xFE) == 0xFC)
            {
                // fc00::/7 unique local, which includes AWS's fd00:ec2::254 metadata address.
                return "private";
            }

            if (address.IsIPv6SiteLocal)
            {
                return "private";
            }
        }

        return null;
    }

    public static bool IsAllowedHost(string host, IReadOnlyCollection<string> allowedHosts) =>
        allowedHosts.Any(h => string.Equals(h.Trim(), host, StringComparison.OrdinalIgnoreCase));

    /// <summary>Save-time check: an absolute http(s) URL whose host, if a literal address, is not blocked.</summary>
    public static string? ValidateUrl(string? url, IReadOnlyCollection<string> allowedHosts)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            return "The URL must be an absolute http or https URL.";
        }

        if (!IsAllowedHost(uri.Host, allowedHosts) && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) && WhyBlocked(literal) is { } reason)
        {
            return $"The URL points to a {reason} address, which the portal refuses to call (see Outbound:AllowedHosts).";
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
                    throw new UrlGuardException($"Refused by the URL guard: {endpoint.Host} resolves to {address} ({reason}).");
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
