using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners.Tables;

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
