using System.Text.Json.Serialization;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Integrations;

/// <summary>An integration as sent. On update an omitted (or null) name keeps its value; <c>description</c> sent as null clears it.</summary>
public sealed record IntegrationRequest(string? Name, string? Description) : IPartialInput
{
    [JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}
