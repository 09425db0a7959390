namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A listener's authentication as sent; a part left out keeps its value on update. For <c>Hmac</c>, <c>name</c> is
/// the signature header and <c>prefix</c> what precedes the signature (<c>sha256=</c>). <c>secret</c> is write-only:
/// left out, a signature method keeps its secret or gets a generated one, returned once in the answer.
/// <c>tolerance</c> (<c>hh:mm:ss</c>, timestamped methods) bounds a request's age.
/// </summary>
public sealed record ListenerAuthRequest(
    ListenerAuthMethod? Method, TokenLocation? ReadFrom, string? Name, string? Prefix,
    SignatureAlgorithm? Algorithm = null, SignatureEncoding? Encoding = null, string? Secret = null, string? Tolerance = null);
