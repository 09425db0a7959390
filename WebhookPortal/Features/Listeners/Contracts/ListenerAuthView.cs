using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A listener's authentication as shown: whether a token or signing secret exists, never one or its hash, except
/// <see cref="Secret"/>: a signing secret the portal just generated, in the answer that generated it only.
/// </summary>
public sealed record ListenerAuthView(ListenerAuthMethod Method, TokenLocation ReadFrom, string? Name, string? Prefix, bool HasToken, DateTime? PreviousTokenExpires = null)
{
    public SignatureAlgorithm? Algorithm { get; init; }

    public SignatureEncoding? Encoding { get; init; }

    /// <summary>Timestamped methods: <c>hh:mm:ss</c>.</summary>
    public string? Tolerance { get; init; }

    public bool HasSecret { get; init; }

    public DateTime? PreviousSecretExpires { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }
}
