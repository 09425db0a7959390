namespace WebhookPortal.Features.Jobs;

/// <summary>202 for a started backup: the seed's <c>successCode</c>/<c>message</c> and the job's id.</summary>
public sealed record BackupResponse(int SuccessCode, string Message, Guid JobId);
