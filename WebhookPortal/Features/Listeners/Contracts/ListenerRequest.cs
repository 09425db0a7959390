using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A listener's settings. On update a field left out keeps its value: <c>auth</c> omitted (or null) never
/// changes the authentication, and turning it off takes an explicit <c>{"method": "None"}</c>. Within
/// <c>auth</c>, omitted parts keep theirs too. <c>retentionDays</c> and <c>script</c> sent as null clear them.
/// <c>expectedUpdated</c> (optional): the listener's <c>updated</c> as the caller last read it; when the listener
/// changed since, the update is refused with 409 instead of silently undoing someone else's change.
/// </summary>
public sealed record ListenerRequest(string? Name, bool? Enabled, ListenerAuthRequest? Auth, int? RetentionDays, string? Script = null, DateTime? ExpectedUpdated = null) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}
