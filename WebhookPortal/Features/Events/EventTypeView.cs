namespace WebhookPortal.Features.Events;

/// <summary>An event type with its subscriber count and how often it fired in the last 24 hours.</summary>
public sealed record EventTypeView(Guid Id, Guid IntegrationId, Guid ListenerId, string Name, string? Description, IReadOnlyList<string> Actions, string? Script, bool Enabled,
    int Subscribers, int FiredLast24h, DateTime Created, DateTime Updated);
