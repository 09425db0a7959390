using System.Net;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Raised when a destination resolves to an address the portal must not call. The message names the host and
/// the kind of address, never the address itself (Support reads it in the log); <see cref="Address"/> is for
/// the server's own log.
/// </summary>
public sealed class UrlGuardException(string message, IPAddress? address = null) : Exception(message)
{
    public IPAddress? Address { get; } = address;
}
