namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>A column of a generated table and where its value comes from in a record.</summary>
public sealed record ColumnDef
{
    public required string Name { get; init; }

    public required ColumnType Type { get; init; }

    public bool PrimaryKey { get; init; }

    /// <summary>JSON property names from the record to the value (<c>["customer","city"]</c> for <c>customer_city</c>).</summary>
    public IReadOnlyList<string> Source { get; init; } = [];

    /// <summary>An array of scalars kept as JSON text and given back as an array.</summary>
    public bool Json { get; init; }
}
