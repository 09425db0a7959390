namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// A generated table. The root has the record's columns and <c>lastModified</c>; a child table (one per
/// nested array of objects) has the root key, its parent's position and its own position.
/// </summary>
public sealed record TableDef
{
    public required string Name { get; init; }

    public string? Parent { get; init; }

    /// <summary>JSON property names from the parent record to the array (the child set's name in records).</summary>
    public IReadOnlyList<string> Source { get; init; } = [];

    public required IReadOnlyList<ColumnDef> Columns { get; init; }
}
