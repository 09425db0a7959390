using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// The signature methods' fixed values (the presets), defaults, and how a listener's signing secret is made and
/// kept: generated with 32 random bytes (Standard Webhooks: <c>whsec_</c> + base64), protected with Data
/// Protection because verifying needs the secret itself, never a hash.
/// </summary>
public static class ListenerSignatures
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxTolerance = TimeSpan.FromDays(1);
    public static readonly TimeSpan DefaultIdempotencyWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxIdempotencyWindow = TimeSpan.FromDays(30);

    private const string Purpose = "WebhookPortal.Listeners.SigningSecret";
    public const string StandardWebhooksPrefix = "whsec_";

    /// <summary>The header each method reads its signature from (Hmac: the listener's own).</summary>
    public static string? PresetHeader(ListenerAuthMethod method) => method switch
    {
        ListenerAuthMethod.GitHub => "X-Hub-Signature-256",
        ListenerAuthMethod.Shopify => "X-Shopify-Hmac-Sha256",
        ListenerAuthMethod.Stripe => "Stripe-Signature",
        ListenerAuthMethod.Slack => "X-Slack-Signature",
        ListenerAuthMethod.StandardWebhooks => "webhook-signature",
        _ => null,
    };

    /// <summary>The listener's settings with the preset's fixed values (secrets not filled in).</summary>
    public static SignatureSettings Settings(Listener l)
    {
        var tolerance = l.SignatureToleranceSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTolerance;
        return l.AuthMethod switch
        {
            ListenerAuthMethod.GitHub => new(l.AuthMethod, PresetHeader(l.AuthMethod)!, SignatureAlgorithm.SHA256, SignatureEncoding.Hex, "sha256=", tolerance),
            ListenerAuthMethod.Shopify => new(l.AuthMethod, PresetHeader(l.AuthMethod)!, SignatureAlgorithm.SHA256, SignatureEncoding.Base64, null, tolerance),
            ListenerAuthMethod.Stripe or ListenerAuthMethod.Slack => new(l.AuthMethod, PresetHeader(l.AuthMethod)!, SignatureAlgorithm.SHA256, SignatureEncoding.Hex, null, tolerance),
            ListenerAuthMethod.StandardWebhooks => new(l.AuthMethod, PresetHeader(l.AuthMethod)!, SignatureAlgorithm.SHA256, SignatureEncoding.Base64, null, tolerance),
            _ => new(l.AuthMethod, l.TokenName ?? "X-Signature", l.SignatureAlgorithm ?? SignatureAlgorithm.SHA256, l.SignatureEncoding ?? SignatureEncoding.Hex, l.TokenPrefix, tolerance),
        };
    }

    public static string Generate(ListenerAuthMethod method) => method == ListenerAuthMethod.StandardWebhooks
        ? StandardWebhooksPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        : WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>Why <paramref name="secret"/> cannot sign for <paramref name="method"/>, or null.</summary>
    public static string? Invalid(ListenerAuthMethod method, string secret)
    {
        if (secret.Length is < 8 or > 500)
        {
            return "The secret is 8 to 500 characters.";
        }

        if (method == ListenerAuthMethod.StandardWebhooks)
        {
            var base64 = secret.StartsWith(StandardWebhooksPrefix, StringComparison.Ordinal) ? secret[StandardWebhooksPrefix.Length..] : secret;
            var buffer = new byte[base64.Length];
            if (!Convert.TryFromBase64String(base64, buffer, out var length) || length is < 24 or > 64)
            {
                return "A Standard Webhooks secret is 'whsec_' followed by 24 to 64 bytes in base64.";
            }
        }

        return null;
    }

    public static string Protect(IDataProtectionProvider provider, string secret) => provider.CreateProtector(Purpose).Protect(secret);

    public static string Unprotect(IDataProtectionProvider provider, string protectedSecret) => provider.CreateProtector(Purpose).Unprotect(protectedSecret);
}
