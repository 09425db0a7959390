using System.Security.Cryptography;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <see cref="ListenerAuthMethod.Token"/>: a shared token in a header, a query parameter or
/// <c>Authorization: &lt;prefix&gt; &lt;token&gt;</c> (docs/compatibility.md#listener-semantics), compared by its
/// SHA-256 hash in constant time.
/// </summary>
public sealed class TokenListenerAuthenticator(TimeProvider time) : IListenerAuthenticator
{
    public const string Failure = "The token is missing or wrong.";

    public ListenerAuthMethod Method => ListenerAuthMethod.Token;

    public string? Authenticate(InboundRequest request)
    {
        var listener = request.Listener;
        if (listener.TokenHash is null)
        {
            return Failure;
        }

        string? presented = listener.TokenLocation switch
        {
            TokenLocation.Header => request.Headers[listener.TokenName ?? ListenerTokens.DefaultTokenHeader].ToString(),
            TokenLocation.Query => request.Query[listener.TokenName ?? "token"].ToString(),
            _ => FromAuthorization(request.Headers.Authorization.ToString(), listener.TokenPrefix),
        };

        if (string.IsNullOrEmpty(presented))
        {
            return Failure;
        }

        // The current token, or the one it replaced while the rotation's overlap lasts.
        var hash = ListenerTokens.HashToken(presented);
        var current = CryptographicOperations.FixedTimeEquals(hash, listener.TokenHash);
        var previous = listener.PreviousTokenHash is { } old && listener.PreviousTokenExpiresUtc > time.GetUtcNow().UtcDateTime
            && CryptographicOperations.FixedTimeEquals(hash, old);
        return current || previous ? null : Failure;
    }

    private static string? FromAuthorization(string header, string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return header.Trim();
        }

        return header.StartsWith(prefix + " ", StringComparison.OrdinalIgnoreCase) ? header[(prefix.Length + 1)..].Trim() : null;
    }
}
