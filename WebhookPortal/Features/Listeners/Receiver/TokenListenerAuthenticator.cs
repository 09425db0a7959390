using System.Security.Cryptography;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <see cref="ListenerAuthMethod.Token"/>: a shared token in a header, a query parameter or
/// <c>Authorization: &lt;prefix&gt; &lt;token&gt;</c> (docs/compatibility.md#listener-semantics), compared by its
/// SHA-256 hash in constant time.
/// </summary>
public sealed class TokenListenerAuthenticator : IListenerAuthenticator
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

        return !string.IsNullOrEmpty(presented) && CryptographicOperations.FixedTimeEquals(ListenerTokens.HashToken(presented), listener.TokenHash)
            ? null
            : Failure;
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
