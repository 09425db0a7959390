using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.ApiKeys;

/// <summary>
/// Keys verified recently, found by the SHA-256 of the presented key (the hash the check computes anyway), so a
/// request with a known key reads nothing from the database. Only valid keys are remembered, so the cache holds at
/// most one entry per key. A revoked key is dropped at once: here directly, on the other portals sharing a
/// PostgreSQL database through <see cref="IClusterSignals"/>; <see cref="ApiKeyOptions.CacheDuration"/> bounds a
/// lost signal.
/// </summary>
public sealed class ApiKeyCache
{
    private const string Topic = "api-key";

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    // A check that read the key just before its revocation committed must not put it back: revoked ids are never
    // remembered again (their rows are gone, so the set only grows by revocations).
    private readonly ConcurrentDictionary<Guid, byte> revoked = new();
    private readonly IOptions<ApiKeyOptions> options;
    private readonly TimeProvider time;
    private readonly IClusterSignals signals;

    public ApiKeyCache(IOptions<ApiKeyOptions> options, TimeProvider time, IClusterSignals signals)
    {
        this.options = options;
        this.time = time;
        this.signals = signals;
        signals.Subscribe(Topic, payload =>
        {
            if (Guid.TryParse(payload, out var id))
            {
                Drop(id);
            }
        }, entries.Clear);
    }

    /// <summary>What the authentication handler needs of a key; never its hash.</summary>
    public sealed record Entry(Guid Id, string Name, string Role, DateTimeOffset Until);

    public int Count => entries.Count;

    public Entry? Find(byte[] keyHash)
    {
        var name = Convert.ToBase64String(keyHash);
        if (!entries.TryGetValue(name, out var entry))
        {
            return null;
        }

        if (entry.Until <= time.GetUtcNow())
        {
            entries.TryRemove(KeyValuePair.Create(name, entry));
            return null;
        }

        return entry;
    }

    public Entry Remember(byte[] keyHash, ApiKey key)
    {
        var entry = new Entry(key.Id, key.Name, key.Role, time.GetUtcNow() + options.Value.CacheDuration);
        if (options.Value.CacheDuration > TimeSpan.Zero && !revoked.ContainsKey(key.Id))
        {
            var name = Convert.ToBase64String(keyHash);
            entries[name] = entry;
            if (revoked.ContainsKey(key.Id))
            {
                entries.TryRemove(KeyValuePair.Create(name, entry)); // revoked between the check and the write
            }
        }

        return entry;
    }

    /// <summary>The key was revoked: forget it on every portal.</summary>
    public void Revoked(Guid id)
    {
        Drop(id);
        signals.Publish(Topic, id.ToString("N"));
    }

    private void Drop(Guid id)
    {
        revoked[id] = 0;
        foreach (var (name, entry) in entries)
        {
            if (entry.Id == id)
            {
                entries.TryRemove(KeyValuePair.Create(name, entry));
            }
        }
    }
}
