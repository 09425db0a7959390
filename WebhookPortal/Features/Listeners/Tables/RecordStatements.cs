using System.Runtime.CompilerServices;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// The SQL texts, parameter names and field names <see cref="RecordWriter"/> needs to write one listener's records,
/// built once per schema instance (the listener directory keeps one while the listener is unchanged) instead of once
/// per record: joining column lists, parameter names and field paths for every record was ~15 % of the bytes the
/// ingest path allocated (issue 17). Immutable once built, so the receiver's requests share it.
/// </summary>
internal sealed class RecordStatements
{
    private static readonly ConditionalWeakTable<TableSchema, RecordStatements> Built = new();
    private static readonly string[] ValueNames = Enumerable.Range(0, 64).Select(i => "@p" + i).ToArray();
    private static readonly string[] KeyNames = Enumerable.Range(0, 16).Select(i => "@k" + i).ToArray();

    private readonly Dictionary<string, TableStatements> tables = new(StringComparer.Ordinal);

    private RecordStatements(SqlDialect dialect, Guid listenerId, TableSchema schema)
    {
        Dialect = dialect.GetType();
        ListenerId = listenerId;
        KeyColumns = schema.KeyColumns.ToArray();
        var root = schema.Root;
        foreach (var table in schema.Tables)
        {
            var name = RecordSql.Table(dialect, listenerId, table);
            var fields = table.Columns.Select(c => string.Join(".", c.Source)).ToArray();
            var children = schema.ChildrenOf(table.Name).ToArray();
            if (ReferenceEquals(table, root))
            {
                var columns = table.Columns.Select(c => c.Name).Append(SystemColumns.LastModified).ToList();
                var keys = table.Columns.Where(c => c.PrimaryKey).Select(c => dialect.Quote(c.Name));
                var updates = columns.Where(c => !table.Columns.Any(k => k.PrimaryKey && k.Name == c))
                    .Select(c => $"{dialect.Quote(c)} = excluded.{dialect.Quote(c)}");
                var upsert = $"INSERT INTO {name} ({string.Join(", ", columns.Select(dialect.Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => Value(i)))}) " +
                             $"ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", updates)}{dialect.ReturningInserted}";
                var exists = $"SELECT 1 FROM {name} WHERE {RecordSql.KeyWhere(dialect, schema)}";
                tables[table.Name] = new TableStatements(fields, children, string.Join(".", table.Source), upsert, exists, "", "");
            }
            else
            {
                var columns = table.Columns.Select(c => c.Name).Prepend(SystemColumns.Position).Prepend(SystemColumns.ParentPosition).Prepend(SystemColumns.RootKey);
                var insert = $"INSERT INTO {name} ({string.Join(", ", columns.Select(dialect.Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => Value(i)))})";
                var delete = $"DELETE FROM {name} WHERE {dialect.Quote(SystemColumns.RootKey)} = @rk";
                tables[table.Name] = new TableStatements(fields, children, string.Join(".", table.Source), "", "", insert, delete);
            }
        }
    }

    private Type Dialect { get; }

    private Guid ListenerId { get; }

    /// <summary>The root's key columns, in key order.</summary>
    public IReadOnlyList<ColumnDef> KeyColumns { get; }

    /// <summary>The statements for <paramref name="schema"/>: built once per schema instance, dialect and listener.</summary>
    public static RecordStatements For(SqlDialect dialect, Guid listenerId, TableSchema schema)
    {
        var built = Built.GetValue(schema, s => new RecordStatements(dialect, listenerId, s));
        // One schema instance belongs to one listener on one database; anything else is built for the caller alone.
        return built.Dialect == dialect.GetType() && built.ListenerId == listenerId ? built : new RecordStatements(dialect, listenerId, schema);
    }

    /// <summary>The statements of one of the schema's tables.</summary>
    public TableStatements Of(TableDef table) => tables[table.Name];

    /// <summary>The name of the value parameter at <paramref name="index"/>: <c>@p0</c>, <c>@p1</c>…</summary>
    public static string Value(int index) => index < ValueNames.Length ? ValueNames[index] : "@p" + index;

    /// <summary>The name of the key parameter at <paramref name="index"/>: <c>@k0</c>, <c>@k1</c>… (<see cref="RecordSql.KeyWhere"/>).</summary>
    public static string Key(int index) => index < KeyNames.Length ? KeyNames[index] : "@k" + index;
}

/// <param name="Fields">Each column's field path in a record (its source joined with dots), in column order.</param>
/// <param name="Children">The child tables whose parent this table is.</param>
/// <param name="Source">A child table's field path from its parent record (empty for the root).</param>
/// <param name="Upsert">The root only: insert, or update on a key conflict, with <c>@p0</c>… in column order and lastModified last.</param>
/// <param name="Exists">The root only: whether a row with the key <c>@k0</c>… exists.</param>
/// <param name="Insert">A child only: insert one row, root key, parent position and position first.</param>
/// <param name="DeleteByRootKey">A child only: delete the rows of root key <c>@rk</c>.</param>
internal sealed record TableStatements(string[] Fields, TableDef[] Children, string Source, string Upsert, string Exists, string Insert, string DeleteByRootKey);
