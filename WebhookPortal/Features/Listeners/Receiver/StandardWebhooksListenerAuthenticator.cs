using System.Security.Cryptography;
using System.Text;
using StandardWebhooks;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <see cref="ListenerAuthMethod.StandardWebhooks"/> (https://www.standardwebhooks.com): <c>webhook-id</c>,
/// <c>webhook-timestamp</c> and <c>webhook-signature</c> (space-separated <c>v1,&lt;base64&gt;</c>, any may match).
/// The signature itself is the spec's own .NET library's (<see cref="StandardWebhook.Sign"/>); the timestamp is checked
/// here because the library fixes its tolerance at five minutes and reads the wall clock.
/// </summary>
public sealed class StandardWebhooksListenerAuthenticator(TimeProvider time) : IListenerAuthenticator
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";

    public ListenerAuthMethod Method => ListenerAuthMethod.StandardWebhooks;

    public bool NeedsBody => true;

    public string? Authenticate(InboundRequest request)
    {
        if (request.Listener.Signature is not { } settings)
        {
            return SignatureChecks.NoSecret;
        }

        foreach (var required in new[] { IdHeader, TimestampHeader, settings.Header })
        {
            if (string.IsNullOrEmpty(request.Headers[required].ToString()))
            {
                return SignatureChecks.Missing(required);
            }
        }

        var id = request.Headers[IdHeader].ToString();
        var timestamp = request.Headers[TimestampHeader].ToString();
        var now = time.GetUtcNow();
        if (SignatureChecks.CheckTimestamp(timestamp, TimestampHeader, settings.Tolerance, now) is { } stale)
        {
            return stale;
        }

        var presented = request.Headers[settings.Header].ToString()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s.StartsWith("v1,", StringComparison.Ordinal))
            .Select(s => Encoding.ASCII.GetBytes(s))
            .ToList();
        if (presented.Count == 0)
        {
            return SignatureChecks.Malformed(settings.Header);
        }

        string payload;
        try
        {
            payload = new UTF8Encoding(false, true).GetString(request.RawBody ?? []);
        }
        catch (DecoderFallbackException)
        {
            return "The body is not UTF-8, which Standard Webhooks signatures require.";
        }

        var sentAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture));
        var matched = false;
        foreach (var secret in settings.ValidSecrets(now.UtcDateTime))
        {
            var expected = Encoding.ASCII.GetBytes(new StandardWebhook(secret).Sign(id, sentAt, payload));
            foreach (var signature in presented)
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        return matched ? null : SignatureChecks.Mismatch;
    }
}
