using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners.Tables;

[JsonConverter(typeof(JsonStringEnumConverter<ColumnType>))]
public enum ColumnType
{
    Integer,
    Real,
    Boolean,
    Text,
    Timestamp,
}

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

/// <summary>The tables of one listener, stored as JSON on the listener: a value, diffed to migrate.</summary>
public sealed record TableSchema
{
    public required string BaseName { get; init; }

    public string? RootPath { get; init; }

    public required IReadOnlyList<TableDef> Tables { get; init; }

    [JsonIgnore]
    public TableDef Root => Tables[0];

    [JsonIgnore]
    public IReadOnlyList<ColumnDef> KeyColumns => Root.Columns.Where(c => c.PrimaryKey).ToList();

    public IEnumerable<TableDef> ChildrenOf(string table) => Tables.Where(t => t.Parent == table);
}

public static class SystemColumns
{
    public const string LastModified = "lastModified";
    public const string RootKey = "_root_key";
    public const string ParentPosition = "_parent_position";
    public const string Position = "_position";

    public static bool IsReserved(string name) =>
        name is LastModified or RootKey or ParentPosition or Position;
}
