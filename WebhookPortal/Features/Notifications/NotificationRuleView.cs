namespace WebhookPortal.Features.Notifications;

/// <summary>A rule with the count of its current period.</summary>
public sealed record NotificationRuleView(Guid Id, Guid IntegrationId, Guid? ListenerId, string Name, long Target, UsagePeriod Period, IReadOnlyList<ThresholdConditionView> Conditions,
    IReadOnlyList<Guid> WebhookIds, bool Enabled, long CurrentCount, DateTime PeriodStart, DateTime PeriodEnd);
