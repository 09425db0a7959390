namespace WebhookPortal.Features.Events;

public static class RecordActions
{
    public const string Insert = "insert";
    public const string Update = "update";
    public const string Delete = "delete";

    public static readonly string[] All = [Insert, Update, Delete];
}
