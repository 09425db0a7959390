using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;

namespace WebhookPortal.Features.ApiKeys;

/// <summary>
/// An integration a Subscriber key may reach (its scope, chosen at creation). A Subscriber key without any reaches
/// nothing: keys created before scopes existed fail closed until an administrator replaces them.
/// </summary>
public sealed class ApiKeyIntegration
{
    public Guid ApiKeyId { get; set; }

    public Guid IntegrationId { get; set; }
}

internal sealed class ApiKeyIntegrationConfiguration : IEntityTypeConfiguration<ApiKeyIntegration>
{
    public void Configure(EntityTypeBuilder<ApiKeyIntegration> builder)
    {
        builder.ToTable("ApiKeyIntegrations");
        builder.HasKey(s => new { s.ApiKeyId, s.IntegrationId });
        builder.HasIndex(s => s.IntegrationId);
        builder.HasOne<ApiKey>().WithMany().HasForeignKey(s => s.ApiKeyId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Integration>().WithMany().HasForeignKey(s => s.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
