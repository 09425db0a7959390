using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Remembers a verified Basic credential for a short while, so an API client does not pay a PBKDF2 hash per
/// request. The key is a SHA-256 of the credential (the password itself is never kept); an entry counts only
/// while the user's security stamp is the one it was verified with.
/// </summary>
public sealed class BasicCredentialCache(IMemoryCache cache, IOptions<SessionOptions> options)
{
    public sealed record Entry(string UserId, string? SecurityStamp, IReadOnlyList<Claim> Claims);

    public static string KeyOf(string email, string password)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToUpperInvariant() + "\0" + password));
        return "basic-credential:" + Convert.ToHexString(hash);
    }

    public Entry? Find(string key) => cache.TryGetValue(key, out Entry? entry) ? entry : null;

    public void Remember(string key, Entry entry)
    {
        if (options.Value.BasicCacheDuration > TimeSpan.Zero)
        {
            cache.Set(key, entry, options.Value.BasicCacheDuration);
        }
    }

    public void Forget(string key) => cache.Remove(key);
}
