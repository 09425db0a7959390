namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <see cref="ListenerAuthMethod.Slack"/>: <c>X-Slack-Signature: v0=&lt;hex&gt;</c>, an HMAC-SHA256 of
/// <c>v0:{X-Slack-Request-Timestamp}:{raw body}</c> with the app's signing secret; the timestamp must be within the tolerance.
/// </summary>
public sealed class SlackListenerAuthenticator(TimeProvider time) : IListenerAuthenticator
{
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    public ListenerAuthMethod Method => ListenerAuthMethod.Slack;

    public bool NeedsBody => true;

    public string? Authenticate(InboundRequest request)
    {
        if (request.Listener.Signature is not { } settings)
        {
            return SignatureChecks.NoSecret;
        }

        var signature = request.Headers[settings.Header].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return SignatureChecks.Missing(settings.Header);
        }

        var timestamp = request.Headers[TimestampHeader].ToString();
        if (string.IsNullOrEmpty(timestamp))
        {
            return SignatureChecks.Missing(TimestampHeader);
        }

        if (!signature.StartsWith("v0=", StringComparison.Ordinal) || SignatureChecks.FromHex(signature[3..]) is not { } presented)
        {
            return SignatureChecks.Malformed(settings.Header);
        }

        var now = time.GetUtcNow();
        if (SignatureChecks.CheckTimestamp(timestamp, TimestampHeader, settings.Tolerance, now) is { } stale)
        {
            return stale;
        }

        var signed = SignatureChecks.Concat($"v0:{timestamp}:", request.RawBody ?? []);
        return SignatureChecks.AnyMatches(settings.ValidSecrets(now.UtcDateTime), SignatureAlgorithm.SHA256, signed, [presented]) ? null : SignatureChecks.Mismatch;
    }
}
