using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// A long task run by Hangfire (docs/compatibility.md#async-jobs). This row, not Hangfire's queue, is the source of
/// truth: a queued or running job found at start is run again.
/// </summary>
public sealed class Job
{
    public Guid Id { get; set; }

    public required string Kind { get; set; }

    public required string RequestedById { get; set; }

    public string? RequestedByName { get; set; }

    public JobStatus Status { get; set; } = JobStatus.Queued;

    public int Progress { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime? StartedUtc { get; set; }

    public DateTime? FinishedUtc { get; set; }

    /// <summary>
    /// While a worker runs the job it holds this lease and renews it with every progress step, so a second
    /// run of the same job (recovery at start next to a persistent Hangfire queue, or another instance)
    /// waits instead of writing the same file; a run that died lets its lease lapse.
    /// </summary>
    public DateTime? LeaseUntilUtc { get; set; }

    public string? Error { get; set; }

    public string? FilePath { get; set; }

    public string? CallbackUrl { get; set; }

    /// <summary>SHA-256 of the claim-check secret sent to the callback (<c>?id=</c>).</summary>
    public byte[]? SecretHash { get; set; }

    /// <summary>The download key, protected at rest; the download URL carries it.</summary>
    public string? DownloadKeyProtected { get; set; }

    public DateTime? DownloadExpiresUtc { get; set; }

    public Guid? CallbackDeliveryId { get; set; }
}

/// <summary>A short-lived token from /api/authenticate (docs/compatibility.md#async-jobs), stored as a hash.</summary>
public sealed class JobToken
{
    public Guid Id { get; set; }

    public required byte[] TokenHash { get; set; }

    public required string UserId { get; set; }

    public required string UserName { get; set; }

    public required string Role { get; set; }

    public DateTime ExpiresUtc { get; set; }
}

public sealed class JobOptions
{
    public const string Section = "Jobs";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan DownloadLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a running job's claim lasts without progress before another worker may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where job files are written; relative paths are under the operator's folder.</summary>
    [Required]
    public string Directory { get; set; } = "data/jobs";

    /// <summary>How many of one user's jobs may be queued or running at once; one more is refused (429).</summary>
    [Range(1, 100)]
    public int MaxConcurrentPerUser { get; set; } = 2;

    /// <summary>When the recurring job deletes files whose download has expired (Hangfire cron, UTC).</summary>
    [Required]
    public string CleanupCron { get; set; } = "*/15 * * * *";
}

/// <summary>The user already has <see cref="JobOptions.MaxConcurrentPerUser"/> jobs queued or running (429, Retry-After).</summary>
public sealed class JobLimitException(int limit) : WebhookPortal.Infrastructure.Errors.PortalException(
    $"You already have {limit} jobs queued or running (Jobs:MaxConcurrentPerUser); start another when one has finished.")
{
    /// <summary>A backup usually finishes within this; clients should wait at least this long.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    public override int StatusCode => StatusCodes.Status429TooManyRequests;

    public override string Title => "Too many jobs running.";
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>, IEntityTypeConfiguration<JobToken>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.ToTable("Jobs");
        builder.Property(j => j.Kind).HasMaxLength(32);
        builder.Property(j => j.Status).HasStoredText(16);
        builder.Property(j => j.RequestedById).HasMaxLength(450);
        builder.Property(j => j.CallbackUrl).HasMaxLength(2000);
        builder.HasIndex(j => j.Status);
        builder.HasIndex(j => j.SecretHash);
    }

    public void Configure(EntityTypeBuilder<JobToken> builder)
    {
        builder.ToTable("JobTokens");
        builder.HasIndex(t => t.TokenHash).IsUnique();
    }
}
