using System.Globalization;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// The filtered log and delivery lists behind each number of the dashboard (relative to the base href). Both lists take
/// <c>from</c> and <c>to</c> as UTC instants, <c>to</c> inclusive: a window [from, to) is sent as from … to − 1 tick.
/// </summary>
public static class DashboardLinks
{
    public static string Instant(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString(utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string Logs(LogDirection? direction, string? name, LogState? state, DateTime fromUtc, DateTime toUtc) =>
        "logs" + Query(
            ("direction", direction?.ToText()),
            ("name", name),
            ("state", state?.ToText()),
            ("from", Instant(fromUtc)),
            ("to", Instant(toUtc.AddTicks(-1))));

    public static string LogEntry(long id) => "logs" + Query(("entry", id.ToString(CultureInfo.InvariantCulture)));

    public static string Deliveries(Guid? webhookId, DeliveryState? state, DateTime? fromUtc, DateTime? toUtc) =>
        "deliveries" + Query(
            ("webhookId", webhookId?.ToString()),
            ("state", state?.ToText()),
            ("from", fromUtc is { } from ? Instant(from) : null),
            ("to", toUtc is { } to ? Instant(to.AddTicks(-1)) : null));

    public static string Webhook(Guid id) => $"webhooks/{id}";

    private static string Query(params (string Key, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}
