namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// Everything the dashboard shows for one time range, computed by aggregate queries in the database. Bucket arrays are
/// aligned with <see cref="Buckets"/> (the start of each bucket, UTC); counts are of the window [FromUtc, ToUtc).
/// </summary>
public sealed record DashboardView(
    string Range,
    DateTime FromUtc,
    DateTime ToUtc,
    int BucketMinutes,
    IReadOnlyList<DateTime> Buckets,
    DateTime GeneratedUtc,
    DashboardTraffic Requests,
    IReadOnlyList<ListenerTraffic> Listeners,
    DashboardTraffic Attempts,
    DashboardDeliveries Deliveries,
    DashboardBacklog Backlog,
    IReadOnlyList<FailingWebhook> FailingWebhooks,
    IReadOnlyList<RecentError> RecentErrors);

/// <summary>Log entries of one direction per bucket, successes and errors.</summary>
public sealed record DashboardTraffic(IReadOnlyList<long> Success, IReadOnlyList<long> Error)
{
    public long TotalSuccess => Success.Sum();

    public long TotalError => Error.Sum();

    public long Total => TotalSuccess + TotalError;
}

/// <summary>One listener's inbound requests per bucket (by the listener's name as logged).</summary>
public sealed record ListenerTraffic(string Name, DashboardTraffic Traffic);

/// <summary>
/// Deliveries created in each bucket by where they stand now: delivered, retrying (pending: due or waiting for the next
/// attempt), failed; held (waiting for a disabled webhook) and cancelled ones are counted in the totals only.
/// </summary>
public sealed record DashboardDeliveries(IReadOnlyList<long> Delivered, IReadOnlyList<long> Retrying, IReadOnlyList<long> Failed, long Held, long Cancelled)
{
    public long TotalDelivered => Delivered.Sum();

    public long TotalRetrying => Retrying.Sum();

    public long TotalFailed => Failed.Sum();

    public long Total => TotalDelivered + TotalRetrying + TotalFailed + Held + Cancelled;
}

/// <summary>Deliveries waiting now, whatever their age: due (their next attempt's time has come), later, and held.</summary>
public sealed record DashboardBacklog(long Due, DateTime? OldestDueUtc, long Scheduled, long Held, long UnhealthyWebhooks)
{
    /// <summary>How long the oldest due delivery has been due at <paramref name="nowUtc"/>.</summary>
    public TimeSpan? OldestDueAge(DateTime nowUtc) => OldestDueUtc is { } oldest ? nowUtc - oldest : null;
}

/// <summary>A webhook with failed or retrying deliveries in the window, or one that is failing or disabled now.</summary>
public sealed record FailingWebhook(Guid Id, string Name, string? Integration, string Health, DateTime? HealthSince, string? HealthReason, long Failed, long Retrying, long Delivered);

/// <summary>One of the newest errors in the log (inbound or outbound).</summary>
public sealed record RecentError(long Id, DateTime TimeUtc, WebhookPortal.Features.Logs.LogDirection Direction, string Name, int Status, string? Error);
