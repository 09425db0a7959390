namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A listener's authentication as sent; a part left out keeps its value on update.</summary>
public sealed record ListenerAuthRequest(ListenerAuthMethod? Method, TokenLocation? ReadFrom, string? Name, string? Prefix);
