using System.Text.Json.Serialization;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Notifications;

/// <summary>A rule as sent. On update an omitted (or null) field keeps its value; <c>listenerId</c> sent as null counts the whole integration.</summary>
public sealed record NotificationRuleRequest(string? Name, Guid? ListenerId, long? Target, UsagePeriod? Period, List<ThresholdConditionRequest>? Conditions, List<Guid>? WebhookIds, bool? Enabled) : IPartialInput
{
    [JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}
