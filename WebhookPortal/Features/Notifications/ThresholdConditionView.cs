namespace WebhookPortal.Features.Notifications;

public sealed record ThresholdConditionView(decimal From, decimal? To, decimal Step, string Expression, IReadOnlyList<decimal> Thresholds);
