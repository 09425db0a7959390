using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Deliveries;

/// <summary>What a delivery is sent to; each kind has one registered <see cref="IDeliveryTarget"/>. Stored and sent as "webhook"/"job"/"subscription".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryTargetKind>))]
public enum DeliveryTargetKind
{
    /// <summary>A webhook of an integration, signed with its secret.</summary>
    [JsonStringEnumMemberName("webhook")]
    Webhook,

    /// <summary>An async job's callback (docs/compatibility.md#async-jobs): a GET to the caller's webhook_url, unsigned.</summary>
    [JsonStringEnumMemberName("job")]
    Job,

    /// <summary>A REST-hook subscription to an event type, signed with the subscription's secret.</summary>
    [JsonStringEnumMemberName("subscription")]
    Subscription,
}
