using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;

namespace WebhookPortal.Infrastructure.Telemetry;

/// <summary>
/// The W3C <c>traceparent</c> each delivery (and each pending scripted event) was created under, so that its
/// attempts continue the trace of the listener request (or API call, or job) that caused it.
/// <para>
/// <b>An in-memory stand-in for a column.</b> The honest home of this value is a nullable <c>TraceParent</c>
/// column (varchar(55)) on <c>Deliveries</c> and on <c>PendingEvents</c>, written when the row is created and read
/// by the attempt; no existing column can hold it. Until that migration exists the value lives here, in this
/// process only: an attempt after a restart, on another portal sharing the database, or more than
/// <see cref="Lifetime"/> after the delivery was created (or once <see cref="Capacity"/> entries are held) starts
/// a trace of its own instead. Nothing else depends on it.
/// </para>
/// </summary>
internal static class TraceParents
{
    public const int Capacity = 100_000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    private static readonly MemoryCache Cache = new(new MemoryCacheOptions { SizeLimit = Capacity });

    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime };

    /// <summary>Remembers the current span's context for <paramref name="id"/>; nothing when no span is running (tracing off).</summary>
    public static void Remember(Guid id)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            Cache.Set(id, current.Id, Entry);
        }
    }

    /// <summary>The remembered context as a remote parent, or default (a new trace) when there is none.</summary>
    public static ActivityContext Find(Guid id) =>
        Cache.TryGetValue(id, out string? traceParent) && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context)
            ? context
            : default;
}
