using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Logs;

/// <summary>How a logged request or attempt ended; stored and sent as "success"/"error".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LogState>))]
public enum LogState
{
    [JsonStringEnumMemberName("success")]
    Success,

    [JsonStringEnumMemberName("error")]
    Error,
}
