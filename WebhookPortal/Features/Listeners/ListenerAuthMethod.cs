using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// How a listener proves that a request comes from its sender: nothing, a shared token, or a signature over the raw
/// body with a secret (a configurable HMAC, or one of the senders' own formats).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListenerAuthMethod>))]
public enum ListenerAuthMethod
{
    None,
    Token,

    /// <summary>HMAC of the raw body in a header; header, algorithm, encoding and prefix are the listener's settings.</summary>
    Hmac,

    /// <summary>GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>.</summary>
    GitHub,

    /// <summary>Shopify: <c>X-Shopify-Hmac-Sha256: &lt;base64&gt;</c>.</summary>
    Shopify,

    /// <summary>Stripe: <c>Stripe-Signature: t=…,v1=…</c> over <c>{t}.{body}</c>, with a tolerance.</summary>
    Stripe,

    /// <summary>Slack: <c>X-Slack-Signature: v0=…</c> over <c>v0:{X-Slack-Request-Timestamp}:{body}</c>, with a tolerance.</summary>
    Slack,

    /// <summary>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>, <c>whsec_</c> secrets.</summary>
    StandardWebhooks,
}

public static class ListenerAuthMethods
{
    /// <summary>Methods that verify a signature with a signing secret (rather than compare a token).</summary>
    public static bool IsSignature(this ListenerAuthMethod method) => method >= ListenerAuthMethod.Hmac;

    /// <summary>Methods whose signature covers a timestamp checked against a tolerance.</summary>
    public static bool IsTimestamped(this ListenerAuthMethod method) =>
        method is ListenerAuthMethod.Stripe or ListenerAuthMethod.Slack or ListenerAuthMethod.StandardWebhooks;
}

[JsonConverter(typeof(JsonStringEnumConverter<SignatureAlgorithm>))]
public enum SignatureAlgorithm
{
    SHA256,

    /// <summary>For legacy senders only.</summary>
    SHA1,
}

[JsonConverter(typeof(JsonStringEnumConverter<SignatureEncoding>))]
public enum SignatureEncoding
{
    [JsonStringEnumMemberName("hex")]
    Hex,

    [JsonStringEnumMemberName("base64")]
    Base64,
}

/// <summary>How a listener proves its URL to a sender that asks first; a handshake is logged and stores nothing.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListenerHandshake>))]
public enum ListenerHandshake
{
    None,

    /// <summary>Slack's <c>{"type":"url_verification","challenge":…}</c>: the challenge is echoed.</summary>
    Slack,

    /// <summary>Meta and others: <c>GET ?hub.mode=subscribe&amp;hub.challenge=…&amp;hub.verify_token=…</c>.</summary>
    HubChallenge,

    /// <summary>Microsoft Graph: <c>POST ?validationToken=…</c> answered with the token as text/plain.</summary>
    GraphValidation,
}
