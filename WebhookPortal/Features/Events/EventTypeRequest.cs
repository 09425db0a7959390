using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Events;

/// <summary>An event type as sent. On update an omitted (or null) field keeps its value; <c>description</c> and <c>script</c> sent as null clear them.</summary>
public sealed record EventTypeRequest(string? Name, string? Description, Guid? ListenerId, List<string>? Actions, string? Script, bool? Enabled) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}
