using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Deliveries;

/// <summary>Where a delivery stands; stored and sent as "pending"/"delivered"/"failed"/"cancelled". Only pending is not final.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryState>))]
public enum DeliveryState
{
    [JsonStringEnumMemberName("pending")]
    Pending,

    [JsonStringEnumMemberName("delivered")]
    Delivered,

    [JsonStringEnumMemberName("failed")]
    Failed,

    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
