namespace WebhookPortal.Features.Integrations;

/// <summary>What deleting an integration or a listener takes with it (the confirmation dialog shows it).</summary>
public sealed record DeletionImpact(int Listeners, long Records, int Webhooks, int Rules, int EventTypes, int Subscriptions, int PendingDeliveries)
{
    /// <summary>One sentence for the confirmation dialog, every count spelled out (zeros too, so nothing is left to guess).</summary>
    public string Describe(bool ofIntegration) =>
        (ofIntegration ? $"With it go {Count(Listeners, "listener")} with {Count(Records, "stored record")}, {Count(Webhooks, "webhook")}, " : $"With it go {Count(Records, "stored record")}, ")
        + $"{Count(Rules, "notification rule")}, {Count(EventTypes, "event type")} and {Count(Subscriptions, "subscription")}"
        + (PendingDeliveries > 0 ? $"; {Count(PendingDeliveries, "pending delivery", "pending deliveries")} are cancelled." : ".");

    private static string Count(long n, string one, string? many = null) =>
        $"{n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} {(n == 1 ? one : many ?? one + "s")}";
}
