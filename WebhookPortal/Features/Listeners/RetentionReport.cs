using System.Globalization;

namespace WebhookPortal.Features.Listeners;

/// <summary>What one retention run deleted: listener records, log entries, and the outbound side's finished deliveries, messages and portal events.</summary>
public sealed record RetentionReport(int RecordsDeleted, int LogEntriesDeleted, IReadOnlyDictionary<string, int> RecordsDeletedByListener,
    int DeliveriesDeleted = 0, int MessagesDeleted = 0, int PortalEventsDeleted = 0)
{
    /// <summary>Listener idempotency keys whose window had ended.</summary>
    public int IdempotencyKeysDeleted { get; init; }

    /// <summary>Audit entries older than Audit:RetentionDays.</summary>
    public int AuditEntriesDeleted { get; init; }

    /// <summary>The run's counts in one sentence, at most <paramref name="maxLength"/> characters (the job's Summary column holds 2000).</summary>
    public string Summary(int maxLength = 2000)
    {
        static string Count(int n, string one, string many) => n.ToString("N0", CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);

        var byListener = RecordsDeletedByListener.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}: {p.Value.ToString("N0", CultureInfo.InvariantCulture)}").ToList();
        var rest = $", {Count(LogEntriesDeleted, "log entry", "log entries")}, {Count(DeliveriesDeleted, "delivery", "deliveries")}, {Count(MessagesDeleted, "message", "messages")}, "
            + $"{Count(PortalEventsDeleted, "portal event", "portal events")}, {Count(IdempotencyKeysDeleted, "idempotency key", "idempotency keys")} "
            + $"and {Count(AuditEntriesDeleted, "audit entry", "audit entries")}.";
        var head = "Deleted " + Count(RecordsDeleted, "record", "records");

        // The per-listener detail is what gives way when many listeners lost records: the totals always fit.
        var budget = maxLength - head.Length - rest.Length - " (, 999999 more listeners)".Length;
        var shown = new List<string>();
        foreach (var item in byListener)
        {
            budget -= item.Length + 2;
            if (budget < 0)
            {
                break;
            }

            shown.Add(item);
        }

        if (shown.Count > 0)
        {
            var more = byListener.Count - shown.Count;
            var sentence = head + " (" + string.Join(", ", shown) + (more > 0 ? $", {more} more listeners" : "") + ")" + rest;
            if (sentence.Length <= maxLength)
            {
                return sentence;
            }
        }

        if ((head + rest).Length <= maxLength)
        {
            return head + rest;
        }

        return (head + rest)[..maxLength];
    }
}
