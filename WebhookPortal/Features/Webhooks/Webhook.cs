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
    public const int RetryScheduleMaxLength = 1000;

    /// <summary>Who disabled a webhook that answered 410 Gone, and the failure rule (Delivery:DisableAfter).</summary>
    public const string DisabledByGone = "410";
    public const string DisabledByFailureRule = "failure rule";

    /// <summary>Disables it, saying why and who (or what) did it.</summary>
    public void Disable(DateTime nowUtc, string reason, string? by)
    {
        Enabled = false;
        DisabledUtc = nowUtc;
        DisabledReason = reason;
        DisabledBy = by;
    }

    /// <summary>Enables it again with a clean slate: no longer failing, no disabling reason.</summary>
    public void Enable()
    {
        Enabled = true;
        DisabledUtc = null;
        DisabledReason = null;
        DisabledBy = null;
        FailingSinceUtc = null;
        ProbeAfterUtc = null;
    }

    public WebhookHealth Health =>
        !Enabled ? new WebhookHealth(WebhookHealth.Disabled, DisabledUtc ?? UpdatedUtc, DisabledReason ?? (UpdatedBy is null ? "Disabled." : $"Disabled by {UpdatedBy}."))
        : FailingSinceUtc is { } since ? new WebhookHealth(WebhookHealth.Failing, since, ProbeAfterUtc is { } probe
            ? $"Every attempt since then failed. One probe goes at {probe:yyyy-MM-dd HH:mm:ss} UTC; the other deliveries wait for it."
            : "Every attempt since then failed.")
        : new WebhookHealth(WebhookHealth.Healthy, null, null);

    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Integration? Integration { get; set; }

    public required string Name { get; set; }

    public required string PostUrl { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>The signing secret (<c>whsec_…</c>), protected with Data Protection at rest.</summary>
    public required string ProtectedSecret { get; set; }

    /// <summary>The secret before the last rotation, still signing (beside the new one) until <see cref="PreviousSecretExpiresUtc"/>.</summary>
    public string? PreviousProtectedSecret { get; set; }

    public DateTime? PreviousSecretExpiresUtc { get; set; }

    /// <summary>JSON array of event type names; null or empty = every event of the integration.</summary>
    public string? EventTypesJson { get; set; }

    /// <summary>JSON object of extra request headers.</summary>
    public string? HeadersJson { get; set; }

    /// <summary>The webhook's own retry schedule (a preset name or a list of delays); null = Delivery:Schedule.</summary>
    public string? RetrySchedule { get; set; }

    /// <summary>Since when every attempt failed (cleared by a success); null while it is healthy.</summary>
    public DateTime? FailingSinceUtc { get; set; }

    /// <summary>
    /// While failing: the earliest time the next probe may go (one attempt; the other deliveries wait for it). Claimed
    /// by moving it forward with a conditional update, so only one attempt at a time wins it, on any instance.
    /// </summary>
    public DateTime? ProbeAfterUtc { get; set; }

    /// <summary>When, why and by whom (a person, <c>410</c>, or <c>failure rule</c>) it was disabled; null while enabled.</summary>
    public DateTime? DisabledUtc { get; set; }

    public string? DisabledReason { get; set; }

    public string? DisabledBy { get; set; }

    public DateTime CreatedUtc { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime UpdatedUtc { get; set; }

    public string? UpdatedBy { get; set; }

    public IReadOnlyList<string> EventTypes => ParseEventTypes(EventTypesJson);

    /// <summary>The event types stored in <see cref="EventTypesJson"/>; none means every event type.</summary>
    public static IReadOnlyList<string> ParseEventTypes(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];

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
        builder.Property(w => w.RetrySchedule).HasMaxLength(Webhook.RetryScheduleMaxLength);
        builder.Property(w => w.DisabledReason).HasMaxLength(500);
        builder.Property(w => w.DisabledBy).HasMaxLength(256);
        builder.Ignore(w => w.EventTypes);
        builder.Ignore(w => w.Headers);
        builder.Ignore(w => w.Health);
        builder.HasIndex(w => w.IntegrationId);
        builder.HasOne(w => w.Integration).WithMany().HasForeignKey(w => w.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
