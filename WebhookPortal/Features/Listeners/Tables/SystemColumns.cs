namespace WebhookPortal.Features.Listeners.Tables;

public static class SystemColumns
{
    public const string LastModified = "lastModified";
    public const string RootKey = "_root_key";
    public const string ParentPosition = "_parent_position";
    public const string Position = "_position";

    public static readonly IReadOnlyList<string> All = [LastModified, RootKey, ParentPosition, Position];

    public static bool IsReserved(string name) =>
        name is LastModified or RootKey or ParentPosition or Position;
}
