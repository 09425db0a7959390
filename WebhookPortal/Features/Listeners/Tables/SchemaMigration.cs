namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>Diffs two schemas into DDL. Pure: the caller runs the statements in one transaction.</summary>
public static class SchemaMigration
{
    public static SchemaMigrationPlan Plan(Guid listenerId, TableSchema? current, TableSchema target, SqlDialect dialect)
    {
        var statements = new List<string>();
        var losses = new List<string>();
        var names = dialect.IdentifierComparer;
        var currentTables = current?.Tables.ToDictionary(t => t.Name, names) ?? new Dictionary<string, TableDef>(names);

        // A different root key changes every row's identity: the tables are rebuilt.
        var keyChanged = current is not null && !current.KeyColumns.Select(c => (c.Name.ToLowerInvariant(), dialect.TypeName(c.Type)))
            .SequenceEqual(target.KeyColumns.Select(c => (c.Name.ToLowerInvariant(), dialect.TypeName(c.Type))));

        if (current is not null)
        {
            foreach (var old in current.Tables)
            {
                var stays = target.Tables.Any(t => names.Equals(t.Name, old.Name)) && !keyChanged
                    && !(old.Parent is null && !names.Equals(target.Root.Name, old.Name));
                if (!stays)
                {
                    losses.Add(keyChanged
                        ? $"Table {old.Name} is rebuilt because the primary key changed: all its rows are deleted."
                        : $"Table {old.Name} is dropped with all its rows.");
                    statements.Add($"DROP TABLE IF EXISTS {dialect.Quote(SqlDialect.PhysicalName(listenerId, old.Name))}");
                    currentTables.Remove(old.Name);
                }
            }
        }

        foreach (var table in target.Tables)
        {
            var physical = dialect.Quote(SqlDialect.PhysicalName(listenerId, table.Name));
            if (!currentTables.TryGetValue(table.Name, out var existing))
            {
                statements.Add(CreateTable(listenerId, table, dialect));
                // A child table's rows are found by their root key through its primary key (root key first), so it
                // needs no index of its own: one was ~7 % of the pages each ingest commit wrote (issue 17). Tables
                // created before keep theirs. The root's last-modified index serves retention.
                if (table.Parent is null)
                {
                    statements.Add($"CREATE INDEX {dialect.Quote(IndexName(listenerId, table.Name, "lm"))} ON {physical} ({dialect.Quote(SystemColumns.LastModified)})");
                }

                continue;
            }

            var oldColumns = existing.Columns.ToDictionary(c => c.Name, names);
            foreach (var column in table.Columns)
            {
                if (!oldColumns.TryGetValue(column.Name, out var old))
                {
                    statements.Add($"ALTER TABLE {physical} ADD COLUMN {dialect.Quote(column.Name)} {dialect.TypeName(column.Type)}");
                }
                else if (old.Type != column.Type && dialect.TypeName(old.Type) != dialect.TypeName(column.Type))
                {
                    losses.Add($"Column {table.Name}.{column.Name} changes type from {old.Type} to {column.Type}: its values are deleted.");
                    statements.Add($"ALTER TABLE {physical} DROP COLUMN {dialect.Quote(column.Name)}");
                    statements.Add($"ALTER TABLE {physical} ADD COLUMN {dialect.Quote(column.Name)} {dialect.TypeName(column.Type)}");
                }
            }

            foreach (var old in existing.Columns.Where(o => !table.Columns.Any(c => names.Equals(c.Name, o.Name))))
            {
                losses.Add($"Column {table.Name}.{old.Name} is dropped with its values.");
                statements.Add($"ALTER TABLE {physical} DROP COLUMN {dialect.Quote(old.Name)}");
            }
        }

        return new SchemaMigrationPlan(statements, losses);
    }

    /// <summary>Index names start with <c>ix_</c>, so they never equal a table name (which start with <c>l</c>); ≤ 63 characters.</summary>
    public static string IndexName(Guid listenerId, string table, string suffix)
    {
        var name = "ix_" + SqlDialect.PhysicalName(listenerId, table) + "_" + suffix;
        return name.Length <= 63 ? name : name[..54] + "_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
    }

    public static string CreateTable(Guid listenerId, TableDef table, SqlDialect dialect)
    {
        var columns = new List<string>();
        if (table.Parent is not null)
        {
            columns.Add($"{dialect.Quote(SystemColumns.RootKey)} {dialect.TypeName(ColumnType.Text)} NOT NULL");
            columns.Add($"{dialect.Quote(SystemColumns.ParentPosition)} {dialect.TypeName(ColumnType.Text)} NOT NULL");
            columns.Add($"{dialect.Quote(SystemColumns.Position)} {dialect.PositionType} NOT NULL");
        }

        foreach (var column in table.Columns)
        {
            columns.Add($"{dialect.Quote(column.Name)} {dialect.TypeName(column.Type)}{(column.PrimaryKey ? " NOT NULL" : "")}");
        }

        string key;
        if (table.Parent is null)
        {
            columns.Add($"{dialect.Quote(SystemColumns.LastModified)} {dialect.TypeName(ColumnType.Text)} NOT NULL");
            key = string.Join(", ", table.Columns.Where(c => c.PrimaryKey).Select(c => dialect.Quote(c.Name)));
        }
        else
        {
            key = string.Join(", ", new[] { SystemColumns.RootKey, SystemColumns.ParentPosition, SystemColumns.Position }.Select(dialect.Quote));
        }

        columns.Add($"PRIMARY KEY ({key})");
        return $"CREATE TABLE {dialect.Quote(SqlDialect.PhysicalName(listenerId, table.Name))} ({string.Join(", ", columns)})";
    }
}
