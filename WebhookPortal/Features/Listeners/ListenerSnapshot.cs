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
    /// <summary>Signature methods: how the signature is read and checked, with the (unprotected) secrets.</summary>
    public SignatureSettings? Signature { get; init; }

    public string? IdempotencyHeader { get; init; }

    public TimeSpan IdempotencyWindow { get; init; } = ListenerSignatures.DefaultIdempotencyWindow;

    public ListenerHandshake Handshake { get; init; }

    public byte[]? HandshakeVerifyTokenHash { get; init; }

    /// <param name="unprotect">Reads a protected signing secret (Data Protection).</param>
    public static ListenerSnapshot From(Listener l, Func<string, string>? unprotect = null) =>
        new(l.Id, l.IntegrationId, l.Name, l.Enabled, l.AuthMethod, l.TokenLocation, l.TokenName, l.TokenPrefix, l.TokenHash, l.GetSchema(), l.Script,
            PreviousTokenHash: l.PreviousTokenHash, PreviousTokenExpiresUtc: l.PreviousTokenExpiresUtc)
        {
            Signature = l.AuthMethod.IsSignature() && l.SigningSecretProtected is { } secret && unprotect is not null
                ? ListenerSignatures.Settings(l) with
                {
                    Secret = unprotect(secret),
                    PreviousSecret = l.PreviousSigningSecretProtected is { } previous ? unprotect(previous) : null,
                    PreviousSecretExpiresUtc = l.PreviousSigningSecretExpiresUtc,
                }
                : null,
            IdempotencyHeader = l.IdempotencyHeader,
            IdempotencyWindow = l.IdempotencyWindowSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : ListenerSignatures.DefaultIdempotencyWindow,
            Handshake = l.Handshake,
            HandshakeVerifyTokenHash = l.HandshakeVerifyTokenHash,
        };
}

/// <summary>A signature method's settings as the receiver applies them (the presets' fixed values filled in).</summary>
public sealed record SignatureSettings(
    ListenerAuthMethod Method, string Header, SignatureAlgorithm Algorithm, SignatureEncoding Encoding, string? Prefix, TimeSpan Tolerance)
{
    public string Secret { get; init; } = "";

    public string? PreviousSecret { get; init; }

    public DateTime? PreviousSecretExpiresUtc { get; init; }

    /// <summary>The secrets a request may be signed with now: the current one, and the previous during its overlap.</summary>
    public IEnumerable<string> ValidSecrets(DateTime now)
    {
        yield return Secret;
        if (PreviousSecret is not null && PreviousSecretExpiresUtc > now)
        {
            yield return PreviousSecret;
        }
    }
}
