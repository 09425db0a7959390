using System.Collections.Concurrent;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Values read from the database and kept in memory until something changes them: <see cref="Invalidate"/> after a
/// committed change drops every value on this portal at once and on the others sharing a PostgreSQL database through
/// <see cref="IClusterSignals"/> (a signal, or a reconnection that may have missed one, drops them there). Each value
/// expires after the duration, which bounds a signal that is still lost; a zero duration keeps nothing. A load that
/// raced a change may have read the old rows: it is returned to its caller but not kept. A null load (nothing there)
/// is not kept either, so unknown keys cannot fill the cache.
/// </summary>
public sealed class SignalledCache<TKey, TValue>
    where TKey : notnull
    where TValue : class
{
    private readonly ConcurrentDictionary<TKey, Entry> entries = new();
    private readonly string topic;
    private readonly IClusterSignals signals;
    private readonly TimeProvider time;
    private readonly Func<TimeSpan> duration;
    private long version;

    public SignalledCache(string topic, IClusterSignals signals, TimeProvider time, Func<TimeSpan> duration)
    {
        this.topic = topic;
        this.signals = signals;
        this.time = time;
        this.duration = duration;
        signals.Subscribe(topic, _ => Drop(), Drop);
    }

    public int Count => entries.Count;

    /// <summary>The kept value of <paramref name="key"/>, or what <paramref name="load"/> reads (kept when nothing changed meanwhile).</summary>
    public async Task<TValue?> GetAsync(TKey key, Func<CancellationToken, Task<TValue?>> load, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (entries.TryGetValue(key, out var kept) && kept.Until > now)
        {
            return kept.Value;
        }

        var loadedAt = Interlocked.Read(ref version);
        var value = await load(ct);
        var keepFor = duration();
        if (value is null || keepFor <= TimeSpan.Zero || Interlocked.Read(ref version) != loadedAt)
        {
            return value;
        }

        var entry = new Entry(value, now + keepFor);
        entries[key] = entry;
        if (Interlocked.Read(ref version) != loadedAt)
        {
            entries.TryRemove(KeyValuePair.Create(key, entry)); // dropped between the check and the write
        }

        return value;
    }

    /// <summary>After a committed change: this portal drops every value at once, the others when the signal arrives.</summary>
    public void Invalidate()
    {
        Drop();
        signals.Publish(topic, "changed");
    }

    private void Drop()
    {
        Interlocked.Increment(ref version);
        entries.Clear();
    }

    private sealed record Entry(TValue Value, DateTimeOffset Until);
}
