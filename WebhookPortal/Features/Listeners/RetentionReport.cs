namespace WebhookPortal.Features.Listeners;

/// <summary>What one retention run deleted: listener records, log entries, and the outbound side's finished deliveries, messages and portal events.</summary>
public sealed record RetentionReport(int RecordsDeleted, int LogEntriesDeleted, IReadOnlyDictionary<string, int> RecordsDeletedByListener,
    int DeliveriesDeleted = 0, int MessagesDeleted = 0, int PortalEventsDeleted = 0)
{
    /// <summary>Listener idempotency keys whose window had ended.</summary>
    public int IdempotencyKeysDeleted { get; init; }

    /// <summary>Audit entries older than Audit:RetentionDays.</summary>
    public int AuditEntriesDeleted { get; init; }
}
