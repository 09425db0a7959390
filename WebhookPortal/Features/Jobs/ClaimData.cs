namespace WebhookPortal.Features.Jobs;

/// <summary>The download a claimed callback secret opens (docs/compatibility.md#async-jobs).</summary>
public sealed record ClaimData(string Url, DateTime ExpiresAt, Guid JobId, JobStatus Status);
