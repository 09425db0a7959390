using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;

namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// Signing secrets as the delivery engine signs with them: revealed (Data Protection's <c>Unprotect</c>) once per stored
/// ciphertext instead of once per attempt, which was ~2 % of the drain's CPU (issue 17). Keyed by the protected text
/// itself, so a rotated secret is a new entry and is never answered with the old value. Bounded: when full, every entry
/// is dropped and revealed again on use. Lives in memory only, where each attempt held the secret anyway.
/// </summary>
public sealed class SigningSecretCache(IDataProtectionProvider protection)
{
    /// <summary>Secrets kept at most (a webhook's current and previous one count twice).</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, string> revealed = new(StringComparer.Ordinal);

    /// <summary>Secrets held now.</summary>
    public int Count => revealed.Count;

    /// <summary>The plain secret for its stored, protected form.</summary>
    public string Reveal(string protectedSecret)
    {
        if (revealed.TryGetValue(protectedSecret, out var secret))
        {
            return secret;
        }

        secret = WebhookSecrets.Unprotect(protection, protectedSecret);
        if (revealed.Count >= Capacity)
        {
            revealed.Clear();
        }

        revealed[protectedSecret] = secret;
        return secret;
    }
}
