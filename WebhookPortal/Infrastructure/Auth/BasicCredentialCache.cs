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
    private long generation;

    public BasicCredentialCache(IMemoryCache cache, IOptions<SessionOptions> options, IClusterSignals signals)
    {
        this.cache = cache;
        this.options = options;
        this.signals = signals;
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
        cache.TryGetValue(key, out Entry? entry) && entry!.Generation == Generation ? entry : null;

    public void Remember(string key, Entry entry)
    {
        if (options.Value.BasicCacheDuration > TimeSpan.Zero && entry.Generation == Generation)
        {
            cache.Set(key, entry, options.Value.BasicCacheDuration);
        }
    }

    public void Forget(string key) => cache.Remove(key);

    /// <summary>A user changed (committed): no credential verified before counts any more, here or on the other portals.</summary>
    public void UserChanged()
    {
        ForgetAll();
        signals.Publish(Topic, "changed");
    }

    private void ForgetAll() => Interlocked.Increment(ref generation);
}
