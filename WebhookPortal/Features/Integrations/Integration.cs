using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Integrations;

/// <summary>
/// Groups what belongs to one System of Record or tenant. Its id is the <c>serviceUuid</c> of listener
/// URLs and its name the <c>{org}</c> of the webhook API.
/// </summary>
public sealed class Integration
{
    public const int NameMaxLength = 100;
    public const int DescriptionMaxLength = 2000;

    public Guid Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }
}

internal sealed class IntegrationConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> builder)
    {
        builder.ToTable("Integrations");
        builder.Property(i => i.Name).HasMaxLength(Integration.NameMaxLength);
        builder.Property(i => i.Description).HasMaxLength(Integration.DescriptionMaxLength);
        builder.HasIndex(i => i.Name).IsUnique();
    }
}
