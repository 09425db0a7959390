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

    /// <summary>What a finished job did, in a sentence for the page that started it (e.g. a retention run's counts).</summary>
    public string? Summary { get; set; }

    public string? FilePath { get; set; }

    public string? CallbackUrl { get; set; }

    /// <summary>SHA-256 of the claim-check secret sent to the callback (<c>?id=</c>).</summary>
    public byte[]? SecretHash { get; set; }

    /// <summary>The download key, protected at rest; the download URL carries it.</summary>
    public string? DownloadKeyProtected { get; set; }

    public DateTime? DownloadExpiresUtc { get; set; }

    public Guid? CallbackDeliveryId { get; set; }
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
        builder.Property(j => j.Summary).HasMaxLength(2000);
        builder.HasIndex(j => j.Status);
        builder.HasIndex(j => j.SecretHash);
    }

    public void Configure(EntityTypeBuilder<JobToken> builder)
    {
        builder.ToTable("JobTokens");
        builder.HasIndex(t => t.TokenHash).IsUnique();
    }
}
