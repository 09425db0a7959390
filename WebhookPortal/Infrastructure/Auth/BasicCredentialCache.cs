using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Remembers a verified Basic credential for a short while, so an API client pays neither a PBKDF2 hash nor a user
/// lookup per request. The key is a SHA-256 of the credential (the password itself is never kept). Every change to
/// a user that Identity writes (password, security stamp, role, lock, delete: <see cref="PortalUserManager"/>) forgets
/// every remembered credential at once: on this portal directly, on the others sharing a PostgreSQL database through
/// <see cref="IClusterSignals"/>; <see cref="SessionOptions.BasicCacheDuration"/> bounds a lost signal.
/// </summary>
public sealed class BasicCredentialCache
{
    private const string Topic = "users";

    private readonly IMemoryCache cache;
    private readonly IOptions<SessionOptions> options;
    private readonly IClusterSignals signals;
    private readonly TimeProvider time;
    private long generation;

    public BasicCredentialCache(IMemoryCache cache, IOptions<SessionOptions> options, IClusterSignals signals, TimeProvider time)
    {
        this.cache = cache;
        this.options = options;
        this.signals = signals;
        this.time = time;
        signals.Subscribe(Topic, _ => ForgetAll(), ForgetAll);
    }

    /// <param name="Generation">Of the users as read before the password was verified (<see cref="Generation"/>).</param>
    public sealed record Entry(string UserId, long Generation, IReadOnlyList<Claim> Claims);

    /// <summary>Read before a user is loaded for verification: a change after it makes the verification's entry stale.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public static string KeyOf(string email, string password)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToUpperInvariant() + "\0" + password));
        return "basic-credential:" + Convert.ToHexString(hash);
    }

    public Entry? Find(string key) =>
        cache.TryGetValue(key, out Remembered? remembered) && remembered!.Entry.Generation == Generation && remembered.Until > time.GetUtcNow() ? remembered.Entry : null;

    public void Remember(string key, Entry entry)
    {
        var duration = options.Value.BasicCacheDuration;
        if (duration > TimeSpan.Zero && entry.Generation == Generation)
        {
            // The portal's clock decides (the memory cache's own expiry only frees the memory).
            cache.Set(key, new Remembered(entry, time.GetUtcNow() + duration), duration);
        }
    }

    /// <summary>A user changed (committed): no credential verified before counts any more, here or on the other portals.</summary>
    public void UserChanged()
    {
        ForgetAll();
        signals.Publish(Topic, "changed");
    }

    private void ForgetAll() => Interlocked.Increment(ref generation);

    private sealed record Remembered(Entry Entry, DateTimeOffset Until);
}
