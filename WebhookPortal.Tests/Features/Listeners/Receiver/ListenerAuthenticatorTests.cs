using Microsoft.AspNetCore.Http;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>The listener authentication strategies, one per method, without a portal around them.</summary>
public sealed class ListenerAuthenticatorTests
{
    private const string Token = "wh_tok_correct-horse-battery";

    private static ListenerSnapshot Listener(TokenLocation location, string? name = null, string? prefix = null, string? token = Token) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "orders", true, ListenerAuthMethod.Token, location, name, prefix,
            token is null ? null : ListenerTokens.HashToken(token), Schema: null);

    private static InboundRequest Request(ListenerSnapshot listener, Action<HeaderDictionary>? headers = null, string query = "")
    {
        var headerDictionary = new HeaderDictionary();
        headers?.Invoke(headerDictionary);
        return new InboundRequest
        {
            Listener = listener,
            Method = "POST",
            Headers = headerDictionary,
            Query = new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)),
            Log = new LogEntry { Direction = LogDirection.Inbound, Method = "POST", Name = listener.Name, Path = "/hooks", State = LogState.Error },
        };
    }

    [Fact]
    public void A_token_in_the_configured_header_is_accepted_and_a_wrong_or_missing_one_refused()
    {
        var authenticator = new TokenListenerAuthenticator(TimeProvider.System);
        var listener = Listener(TokenLocation.Header, "X-Sor-Token");

        Assert.Null(authenticator.Authenticate(Request(listener, h => h["X-Sor-Token"] = Token)));
        Assert.Equal(TokenListenerAuthenticator.Failure, authenticator.Authenticate(Request(listener, h => h["X-Sor-Token"] = Token + "x")));
        Assert.Equal(TokenListenerAuthenticator.Failure, authenticator.Authenticate(Request(listener)));
        // The right token in another header is not the configured place.
        Assert.Equal(TokenListenerAuthenticator.Failure, authenticator.Authenticate(Request(listener, h => h[ListenerTokens.DefaultTokenHeader] = Token)));
    }

    [Fact]
    public void A_token_in_the_query_or_after_the_authorization_prefix_is_accepted_only_there()
    {
        var authenticator = new TokenListenerAuthenticator(TimeProvider.System);
        var query = Listener(TokenLocation.Query, "key");
        Assert.Null(authenticator.Authenticate(Request(query, query: "?key=" + Token)));
        Assert.NotNull(authenticator.Authenticate(Request(query, query: "?token=" + Token)));

        var authorization = Listener(TokenLocation.Authorization, prefix: "Token");
        Assert.Null(authenticator.Authenticate(Request(authorization, h => h["Authorization"] = "Token " + Token)));
        Assert.NotNull(authenticator.Authenticate(Request(authorization, h => h["Authorization"] = "Bearer " + Token)));
        Assert.NotNull(authenticator.Authenticate(Request(authorization, h => h["Authorization"] = Token)));
    }

    [Fact]
    public void A_token_listener_without_a_generated_token_refuses_everything()
    {
        var listener = Listener(TokenLocation.Header, "X-Sor-Token", token: null);
        Assert.Equal(TokenListenerAuthenticator.Failure, new TokenListenerAuthenticator(TimeProvider.System).Authenticate(Request(listener, h => h["X-Sor-Token"] = "")));
        Assert.Equal(TokenListenerAuthenticator.Failure, new TokenListenerAuthenticator(TimeProvider.System).Authenticate(Request(listener, h => h["X-Sor-Token"] = Token)));
    }

    [Fact]
    public void Each_method_has_its_own_strategy()
    {
        Assert.Equal(ListenerAuthMethod.Token, new TokenListenerAuthenticator(TimeProvider.System).Method);
        Assert.Equal(ListenerAuthMethod.None, new OpenListenerAuthenticator().Method);
        Assert.Null(new OpenListenerAuthenticator().Authenticate(Request(Listener(TokenLocation.Header) with { AuthMethod = ListenerAuthMethod.None })));
    }
}
