namespace WebhookPortal.Features.Deliveries;

public sealed class OutboundOptions
{
    public const string Section = "Outbound";

    /// <summary>Hosts (names or addresses) exempt from the URL guard: development and tests only.</summary>
    public List<string> AllowedHosts { get; set; } = [];
}
