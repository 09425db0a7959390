using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.ApiKeys;

/// <summary>
/// A credential for automation. The key itself is shown once; only its SHA-256 hash is stored
/// (keys are 256-bit random values, so a fast hash is enough and a lookup stays cheap).
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string Role { get; set; }

    /// <summary>The public, non-secret part of the key used to find the row (<c>wpk_{Prefix}_…</c>).</summary>
    public required string Prefix { get; set; }

    public required byte[] KeyHash { get; set; }

    public DateTime CreatedUtc { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime? LastUsedUtc { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("ApiKeys");
        builder.Property(k => k.Name).HasMaxLength(100);
        builder.Property(k => k.Role).HasMaxLength(32);
        builder.Property(k => k.Prefix).HasMaxLength(16);
        builder.HasIndex(k => k.Prefix).IsUnique();
    }
}
