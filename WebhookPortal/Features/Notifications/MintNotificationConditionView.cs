namespace WebhookPortal.Features.Notifications;

/// <summary>
/// A notification rule in the mint notification-conditions shape (docs/compatibility.md#mint-notification-conditions-api):
/// the body's <c>notificationCondition</c> and <c>actions</c>, plus <c>id</c> and the portal's own fields. Times are epoch milliseconds.
/// </summary>
public sealed record MintNotificationConditionView(
    Guid Id, IReadOnlyList<MintConditionAttribute> NotificationCondition, IReadOnlyList<MintNotificationAction> Actions,
    string Name, long Target, UsagePeriod Period, bool Enabled, Guid? ListenerId, long CurrentCount, long PeriodStart, long PeriodEnd);

public sealed record MintConditionAttribute(string Attribute, string Value);

public sealed record MintNotificationAction(string ActionAttribute, string Value);

/// <summary>The list answer, shaped like the mint webhooks list.</summary>
public sealed record MintNotificationConditionListResponse(int TotalRecords, IReadOnlyList<MintNotificationConditionView> NotificationConditions);
