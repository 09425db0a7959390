namespace WebhookPortal.Features.Notifications;

/// <summary>The period a rule counts requests in (stored and sent by name: Day, Week, Month).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<UsagePeriod>))]
public enum UsagePeriod
{
    Day,
    Week,
    Month,
}
