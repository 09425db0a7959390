using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Jobs;

/// <summary>Where a job stands; stored and sent as "queued"/"running"/"succeeded"/"failed" (docs/compatibility.md#async-jobs).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
public enum JobStatus
{
    [JsonStringEnumMemberName("queued")]
    Queued,

    [JsonStringEnumMemberName("running")]
    Running,

    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    [JsonStringEnumMemberName("failed")]
    Failed,
}
