using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// A sender's delivery id that a listener accepted (its <c>idempotencyHeader</c>): a repeat before
/// <see cref="ExpiresAtMs"/> is answered with <see cref="Status"/> and applies nothing. Written in the same
/// transaction (and savepoint) as the request's data, so a refused request never claims its id.
/// </summary>
public sealed class IdempotencyKey
{
    /// <summary>SHA-256 of listener id and the header's value: fixed size, and the same bytes on every database.</summary>
    public required byte[] KeyHash { get; set; }

    /// <summary>Unix milliseconds after which the id may be applied again (and the row pruned).</summary>
    public long ExpiresAtMs { get; set; }

    /// <summary>The status the original request was answered with.</summary>
    public int Status { get; set; }
}

internal sealed class IdempotencyKeyConfiguration : IEntityTypeConfiguration<IdempotencyKey>
{
    public void Configure(EntityTypeBuilder<IdempotencyKey> builder)
    {
        builder.ToTable("IdempotencyKeys");
        builder.HasKey(k => k.KeyHash);
        builder.Property(k => k.KeyHash).HasMaxLength(32);
        builder.HasIndex(k => k.ExpiresAtMs);
    }
}
