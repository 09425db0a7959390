namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <see cref="ListenerAuthMethod.Stripe"/>: <c>Stripe-Signature: t=&lt;unix&gt;,v1=&lt;hex&gt;[,v1=…]</c>, an
/// HMAC-SHA256 of <c>{t}.{raw body}</c> with the endpoint secret; any <c>v1</c> may match (Stripe sends one per
/// secret while it rolls them), and <c>t</c> must be within the tolerance.
/// </summary>
public sealed class StripeListenerAuthenticator(TimeProvider time) : IListenerAuthenticator
{
    public ListenerAuthMethod Method => ListenerAuthMethod.Stripe;

    public bool NeedsBody => true;

    public string? Authenticate(InboundRequest request)
    {
        if (request.Listener.Signature is not { } settings)
        {
            return SignatureChecks.NoSecret;
        }

        var header = request.Headers[settings.Header].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return SignatureChecks.Missing(settings.Header);
        }

        string? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
            {
                continue;
            }

            switch (pair[0].Trim())
            {
                case "t":
                    timestamp = pair[1].Trim();
                    break;
                case "v1" when SignatureChecks.FromHex(pair[1]) is { } signature:
                    signatures.Add(signature);
                    break;
            }
        }

        if (timestamp is null || signatures.Count == 0)
        {
            return SignatureChecks.Malformed(settings.Header);
        }

        var now = time.GetUtcNow();
        if (SignatureChecks.CheckTimestamp(timestamp, settings.Header, settings.Tolerance, now) is { } stale)
        {
            return stale;
        }

        var signed = SignatureChecks.Concat(timestamp + ".", request.RawBody ?? []);
        return SignatureChecks.AnyMatches(settings.ValidSecrets(now.UtcDateTime), SignatureAlgorithm.SHA256, signed, signatures) ? null : SignatureChecks.Mismatch;
    }
}
