using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners;

/// <summary>What the receiver needs of a listener, immutable and cached.</summary>
public sealed record ListenerSnapshot(
    Guid Id,
    Guid IntegrationId,
    string Name,
    bool Enabled,
    ListenerAuthMethod AuthMethod,
    TokenLocation TokenLocation,
    string? TokenName,
    string? TokenPrefix,
    byte[]? TokenHash,
    TableSchema? Schema,
    string? Script = null,
    bool HasEvents = false,
    byte[]? PreviousTokenHash = null,
    DateTime? PreviousTokenExpiresUtc = null)
{
    public static ListenerSnapshot From(Listener l) =>
        new(l.Id, l.IntegrationId, l.Name, l.Enabled, l.AuthMethod, l.TokenLocation, l.TokenName, l.TokenPrefix, l.TokenHash, l.GetSchema(), l.Script,
            PreviousTokenHash: l.PreviousTokenHash, PreviousTokenExpiresUtc: l.PreviousTokenExpiresUtc);
}
