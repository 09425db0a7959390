using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Logs;

/// <summary>Whether a log entry is a request a listener received or an attempt the portal sent; stored and sent as "inbound"/"outbound".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LogDirection>))]
public enum LogDirection
{
    [JsonStringEnumMemberName("inbound")]
    Inbound,

    [JsonStringEnumMemberName("outbound")]
    Outbound,
}
