namespace WebhookPortal.Features.Jobs;

/// <summary>The user already has <see cref="JobOptions.MaxConcurrentPerUser"/> jobs queued or running (429, Retry-After).</summary>
public sealed class JobLimitException(int limit) : WebhookPortal.Infrastructure.Errors.PortalException(
    $"You already have {limit} jobs queued or running (Jobs:MaxConcurrentPerUser); start another when one has finished.")
{
    /// <summary>A backup usually finishes within this; clients should wait at least this long.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    public override int StatusCode => StatusCodes.Status429TooManyRequests;

    public override string Title => "Too many jobs running.";
}
