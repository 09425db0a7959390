using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;

namespace WebhookPortal.Features.Webhooks;

/// <summary>An outbound callback of an integration (docs/compatibility.md#mint-webhooks-api), signed with its own secret.</summary>
public sealed class Webhook
{
    public const int NameMaxLength = 200;
    public const int UrlMaxLength = 2000;

    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Integration? Integration { get; set; }

    public required string Name { get; set; }

    public required string PostUrl { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>The signing secret (<c>whsec_…</c>), protected with Data Protection at rest.</summary>
    public required string ProtectedSecret { get; set; }

    /// <summary>JSON array of event type names; null or empty = every event of the integration.</summary>
    public string? EventTypesJson { get; set; }

    /// <summary>JSON object of extra request headers.</summary>
    public string? HeadersJson { get; set; }

    public DateTime CreatedUtc { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime UpdatedUtc { get; set; }

    public string? UpdatedBy { get; set; }

    public IReadOnlyList<string> EventTypes =>
        EventTypesJson is null ? [] : JsonSerializer.Deserialize<List<string>>(EventTypesJson) ?? [];

    public IReadOnlyDictionary<string, string> Headers =>
        HeadersJson is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(HeadersJson) ?? [];

    public bool Accepts(string eventType) => EventTypes.Count == 0 || EventTypes.Contains(eventType, StringComparer.Ordinal);
}

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> builder)
    {
        builder.ToTable("Webhooks");
        builder.Property(w => w.Name).HasMaxLength(Webhook.NameMaxLength);
        builder.Property(w => w.PostUrl).HasMaxLength(Webhook.UrlMaxLength);
        builder.Property(w => w.CreatedBy).HasMaxLength(256);
        builder.Property(w => w.UpdatedBy).HasMaxLength(256);
        builder.Ignore(w => w.EventTypes);
        builder.Ignore(w => w.Headers);
        builder.HasIndex(w => w.IntegrationId);
        builder.HasOne(w => w.Integration).WithMany().HasForeignKey(w => w.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
