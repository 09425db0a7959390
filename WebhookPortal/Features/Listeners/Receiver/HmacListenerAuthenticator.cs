namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// An HMAC of the raw body in one header: <see cref="ListenerAuthMethod.Hmac"/> with the listener's header,
/// algorithm, encoding and prefix, and the presets built on it, <see cref="ListenerAuthMethod.GitHub"/>
/// (<c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>) and <see cref="ListenerAuthMethod.Shopify"/>
/// (<c>X-Shopify-Hmac-Sha256: &lt;base64&gt;</c>). One instance is registered per method.
/// </summary>
public sealed class HmacListenerAuthenticator(ListenerAuthMethod method, TimeProvider time) : IListenerAuthenticator
{
    public ListenerAuthMethod Method => method;

    public bool NeedsBody => true;

    public string? Authenticate(InboundRequest request)
    {
        if (request.Listener.Signature is not { } settings)
        {
            return SignatureChecks.NoSecret;
        }

        var value = request.Headers[settings.Header].ToString();
        if (string.IsNullOrEmpty(value))
        {
            return SignatureChecks.Missing(settings.Header);
        }

        if (settings.Prefix is { Length: > 0 } prefix)
        {
            if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return SignatureChecks.Malformed(settings.Header);
            }

            value = value[prefix.Length..];
        }

        var presented = settings.Encoding == SignatureEncoding.Hex ? SignatureChecks.FromHex(value) : SignatureChecks.FromBase64(value);
        if (presented is null)
        {
            return SignatureChecks.Malformed(settings.Header);
        }

        return SignatureChecks.AnyMatches(settings.ValidSecrets(time.GetUtcNow().UtcDateTime), settings.Algorithm, request.RawBody ?? [], [presented])
            ? null
            : SignatureChecks.Mismatch;
    }
}
