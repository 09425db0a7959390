using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Where a delivery stands; stored and sent as "pending"/"delivered"/"failed"/"cancelled"/"held". Pending and held are
/// not final: a held delivery waits for its disabled webhook to be enabled again, then goes on as pending.
/// </summary>
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

    [JsonStringEnumMemberName("held")]
    Held,
}
