using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A listener's settings. On update a field left out keeps its value: <c>auth</c> omitted (or null) never
/// changes the authentication, and turning it off takes an explicit <c>{"method": "None"}</c>. Within
/// <c>auth</c>, omitted parts keep theirs too. <c>retentionDays</c> and <c>script</c> sent as null clear them.
/// <c>expectedUpdated</c> (optional): the listener's <c>updated</c> as the caller last read it; when the listener
/// changed since, the update is refused with 409 instead of silently undoing someone else's change.
/// <c>idempotencyHeader</c>: the header with the sender's delivery id (null: none); <c>idempotencyWindow</c>
/// (a time span such as <c>1.00:00:00</c>, the default: a day) how long a repeat is answered without being applied. <c>handshake</c>
/// answers a sender's URL check; <c>verifyToken</c> (write-only) is what <c>HubChallenge</c> expects.
/// </summary>
public sealed record ListenerRequest(
    string? Name, bool? Enabled, ListenerAuthRequest? Auth, int? RetentionDays, string? Script = null, DateTime? ExpectedUpdated = null,
    string? IdempotencyHeader = null, string? IdempotencyWindow = null, ListenerHandshake? Handshake = null, string? VerifyToken = null) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}
