namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// A time range of the dashboard and the width of its chart buckets: the last hour in 5-minute buckets, the last 24
/// hours in hours, the last 7 days in 6-hour buckets. Sent and accepted as "1h", "24h", "7d".
/// </summary>
public sealed record DashboardRange(string Key, string Label, TimeSpan Span, TimeSpan Bucket)
{
    public static readonly DashboardRange LastHour = new("1h", "1 h", TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));
    public static readonly DashboardRange LastDay = new("24h", "24 h", TimeSpan.FromHours(24), TimeSpan.FromHours(1));
    public static readonly DashboardRange LastWeek = new("7d", "7 d", TimeSpan.FromDays(7), TimeSpan.FromHours(6));

    public static IReadOnlyList<DashboardRange> All { get; } = [LastHour, LastDay, LastWeek];

    public static DashboardRange Default => LastDay;

    public int BucketCount => (int)(Span.Ticks / Bucket.Ticks);

    /// <summary>The range for "1h", "24h" or "7d" (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? key, out DashboardRange range)
    {
        range = All.FirstOrDefault(r => string.Equals(r.Key, key?.Trim(), StringComparison.OrdinalIgnoreCase))!;
        return range is not null;
    }

    /// <summary>
    /// The window that ends with the bucket holding <paramref name="nowUtc"/> (so the newest, partial bucket is the last
    /// one) and spans <see cref="BucketCount"/> whole buckets. Buckets are aligned to the Unix epoch, i.e. to UTC.
    /// </summary>
    public (DateTime FromUtc, DateTime ToUtc) Window(DateTime nowUtc)
    {
        var end = new DateTime((nowUtc.Ticks / Bucket.Ticks + 1) * Bucket.Ticks, DateTimeKind.Utc);
        return (end - Span, end);
    }
}
