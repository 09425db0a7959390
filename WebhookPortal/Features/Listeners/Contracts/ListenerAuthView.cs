namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A listener's authentication as shown: whether a token exists, never the token or its hash.</summary>
public sealed record ListenerAuthView(ListenerAuthMethod Method, TokenLocation ReadFrom, string? Name, string? Prefix, bool HasToken, DateTime? PreviousTokenExpires = null);
