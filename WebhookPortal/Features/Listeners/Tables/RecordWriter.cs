using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using static WebhookPortal.Features.Listeners.Tables.RecordSql;
using static WebhookPortal.Features.Listeners.Tables.RecordValues;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Writes one listener's generated tables on a caller's connection and transaction, with parameterised
/// commands only: the receiver's upserts, patches and deletes, and retention's deletes. This is the ingest
/// hot path, so it keeps to the batch's <see cref="CommandCache"/> and the schema's <see cref="RecordStatements"/>, and
/// builds field paths only for an error.
/// </summary>
public sealed class RecordWriter(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, Guid listenerId, TableSchema schema)
{
    private readonly RecordStatements statements = RecordStatements.For(dialect, listenerId, schema);
    private RecordReader? changeReader;

    /// <summary>When set, every insert, update and delete of a root record is reported here (data tracking).</summary>
    public List<RecordChange>? Changes { get; set; }

    /// <summary>
    /// Commands kept for the receiver's batch: SQLite prepares a statement once per command object, so
    /// the same SQL for the next request of the batch skips parsing and planning.
    /// </summary>
    public CommandCache? Commands { get; init; }

    /// <summary>Reads changed records back for data tracking; created on first use, on the same connection and commands.</summary>
    private RecordReader Reader => changeReader ??= new RecordReader(connection, transaction, dialect, listenerId, schema) { Commands = Commands };

    private string Table(TableDef table) => RecordSql.Table(dialect, listenerId, table);

    private CommandLease Command(string sql) => RecordSql.Command(connection, transaction, Commands, sql);

    /// <summary>POST/PUT: replace the root row and all its child rows. Returns inserted or updated.</summary>
    public async Task<WriteSummary> UpsertAsync(JsonElement record, string lastModified, CancellationToken ct)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new RecordValidationException("$", "Each record must be a JSON object.");
        }

        var root = schema.Root;
        var values = RowValues(root, record, requirePresent: false);
        var key = KeyValues(values);
        var rootKey = RootKeyText(key);

        // The root row first: its upsert locks the key until the commit, so a concurrent write of the same record
        // through another portal waits here, and the child rows below are deleted and written by one writer at a time.
        var exists = dialect.ReturningInserted is null && await ExistsAsync(key, ct);
        var inserted = await WriteRootAsync(root, values, lastModified, ct) ?? !exists;
        exists = !inserted;
        for (var t = 1; t < schema.Tables.Count; t++)
        {
            await DeleteChildRowsAsync(schema.Tables[t], rootKey, ct);
        }

        await InsertChildrenAsync(root, record, rootKey, parentPosition: "", ct);
        if (Changes is not null && await Reader.ReadOneAsync(key, ct) is { } stored)
        {
            Changes.Add(new RecordChange(exists ? "update" : "insert", stored));
        }

        return exists ? new WriteSummary(0, 1, 0) : new WriteSummary(1, 0, 0);
    }

    /// <summary>PATCH: only fields present change; a child array present replaces that child set. Null when the record does not exist.</summary>
    public async Task<WriteSummary?> PatchAsync(JsonElement record, string lastModified, CancellationToken ct)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new RecordValidationException("$", "Each record must be a JSON object.");
        }

        var root = schema.Root;
        var patch = RowValues(root, record, requirePresent: true);
        var key = KeyValues(patch);
        var existing = await ReadRootAsync(key, ct);
        if (existing is null)
        {
            return null;
        }

        foreach (var (column, value) in patch)
        {
            existing[column] = value;
        }

        await WriteRootAsync(root, existing, lastModified, ct);
        var rootKey = RootKeyText(key);
        foreach (var child in schema.ChildrenOf(root.Name))
        {
            if (TryGetPath(record, child.Source, out var array))
            {
                foreach (var table in WithDescendants(child))
                {
                    await DeleteChildRowsAsync(table, rootKey, ct);
                }

                await InsertChildSetAsync(child, array, rootKey, "", ct);
            }
        }

        if (Changes is not null && await Reader.ReadOneAsync(key, ct) is { } stored)
        {
            Changes.Add(new RecordChange("update", stored));
        }

        return new WriteSummary(0, 1, 0);
    }

    /// <summary>DELETE by key values (already typed as text from the URL). Returns the number of root rows deleted.</summary>
    public async Task<int> DeleteAsync(IReadOnlyDictionary<string, string> keyText, CancellationToken ct)
    {
        var key = new Dictionary<string, object?>();
        foreach (var column in schema.KeyColumns)
        {
            if (!keyText.TryGetValue(column.Name, out var text))
            {
                throw new RecordValidationException(column.Name, $"The key field '{column.Name}' is required to delete a record.");
            }

            key[column.Name] = ConvertText(column, text);
        }

        var rootKey = RootKeyText(key.Values.ToList());
        var before = Changes is null ? null : await Reader.ReadOneAsync(key.Values.ToList(), ct);

        // The root row first, which locks the key (as the upsert does), then its children.
        int deleted;
        await using (var commandLease = Command($"DELETE FROM {Table(schema.Root)} WHERE {KeyWhere(dialect, schema)}"))
        {
            var command = commandLease.Command;
            var i = 0;
            foreach (var column in schema.KeyColumns)
            {
                AddParameter(command, "@k" + i++, key[column.Name]);
            }

            deleted = await command.ExecuteNonQueryAsync(ct);
        }

        foreach (var child in schema.Tables.Skip(1))
        {
            await DeleteChildRowsAsync(child, rootKey, ct);
        }

        if (before is not null && deleted > 0)
        {
            Changes!.Add(new RecordChange("delete", before));
        }

        return deleted;
    }

    /// <summary>Retention: deletes root rows (and their children) last modified before the cutoff, in batches.</summary>
    public async Task<int> DeleteOlderThanAsync(string cutoff, int batchSize, CancellationToken ct)
    {
        var keys = schema.KeyColumns;
        var selected = new List<List<object?>>();
        await using (var selectLease = Command($"SELECT {string.Join(", ", keys.Select(k => dialect.Quote(k.Name)))} FROM {Table(schema.Root)} WHERE {dialect.Quote(SystemColumns.LastModified)} < @cutoff LIMIT @take"))
        {
            var select = selectLease.Command;
            AddParameter(select, "@cutoff", cutoff);
            AddParameter(select, "@take", (long)batchSize);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                selected.Add(keys.Select((k, i) => NormalizeKey(k, reader.IsDBNull(i) ? null : reader.GetValue(i))).ToList());
            }
        }

        var deleted = 0;
        foreach (var key in selected)
        {
            // The root row first, and only while it is still old: a record written again since the select (by
            // another portal) stays, with its children; one deleted here locks its key, as a receiver's delete does.
            int rows;
            await using (var commandLease = Command($"DELETE FROM {Table(schema.Root)} WHERE {KeyWhere(dialect, schema)} AND {dialect.Quote(SystemColumns.LastModified)} < @cutoff"))
            {
                var command = commandLease.Command;
                for (var i = 0; i < key.Count; i++)
                {
                    AddParameter(command, "@k" + i, key[i]);
                }

                AddParameter(command, "@cutoff", cutoff);
                rows = await command.ExecuteNonQueryAsync(ct);
            }

            if (rows == 0)
            {
                continue;
            }

            var rootKey = RootKeyText(key);
            foreach (var child in schema.Tables.Skip(1))
            {
                await DeleteChildRowsAsync(child, rootKey, ct);
            }

            deleted += rows;
        }

        return deleted;
    }

    private IEnumerable<TableDef> WithDescendants(TableDef table)
    {
        yield return table;
        foreach (var child in schema.ChildrenOf(table.Name))
        {
            foreach (var descendant in WithDescendants(child))
            {
                yield return descendant;
            }
        }
    }

    private async Task<bool> ExistsAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        await using var commandLease = Command(statements.Of(schema.Root).Exists);
        var command = commandLease.Command;
        for (var i = 0; i < key.Count; i++)
        {
            AddParameter(command, RecordStatements.Key(i), key[i]);
        }

        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>The root row's raw column values (what a PATCH starts from), or null.</summary>
    private async Task<Dictionary<string, object?>?> ReadRootAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        var columns = schema.Root.Columns;
        // Locked (on PostgreSQL): a concurrent write of the same record through another portal waits for this PATCH.
        await using var commandLease = Command($"SELECT {string.Join(", ", columns.Select(c => dialect.Quote(c.Name)))} FROM {Table(schema.Root)} WHERE {KeyWhere(dialect, schema)}{dialect.LockForUpdate}");
        var command = commandLease.Command;
        for (var i = 0; i < key.Count; i++)
        {
            AddParameter(command, "@k" + i, key[i]);
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var row = new Dictionary<string, object?>();
        for (var i = 0; i < columns.Count; i++)
        {
            row[columns[i].Name] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        return row;
    }

    /// <summary>Inserts or updates the root row; true when it inserted, false when it updated, null when the dialect cannot tell.</summary>
    private async Task<bool?> WriteRootAsync(TableDef root, IReadOnlyDictionary<string, object?> values, string lastModified, CancellationToken ct)
    {
        await using var commandLease = Command(statements.Of(root).Upsert);
        var command = commandLease.Command;
        for (var i = 0; i < root.Columns.Count; i++)
        {
            AddParameter(command, RecordStatements.Value(i), values.GetValueOrDefault(root.Columns[i].Name));
        }

        AddParameter(command, RecordStatements.Value(root.Columns.Count), lastModified);
        if (dialect.ReturningInserted is null)
        {
            await command.ExecuteNonQueryAsync(ct);
            return null;
        }

        return await command.ExecuteScalarAsync(ct) is true;
    }

    private async Task DeleteChildRowsAsync(TableDef child, string rootKey, CancellationToken ct)
    {
        await using var commandLease = Command(statements.Of(child).DeleteByRootKey);
        var command = commandLease.Command;
        AddParameter(command, "@rk", rootKey);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task InsertChildrenAsync(TableDef parent, JsonElement parentRecord, string rootKey, string parentPosition, CancellationToken ct, string prefix = "")
    {
        foreach (var child in statements.Of(parent).Children)
        {
            if (TryGetPath(parentRecord, child.Source, out var array))
            {
                await InsertChildSetAsync(child, array, rootKey, parentPosition, ct, prefix);
            }
        }
    }

    private async Task InsertChildSetAsync(TableDef child, JsonElement array, string rootKey, string parentPosition, CancellationToken ct, string prefix = "")
    {
        var statement = statements.Of(child);
        var field = prefix + statement.Source;
        if (array.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new RecordValidationException(field, $"The field '{field}' must be an array of objects.");
        }

        var position = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new RecordValidationException($"{field}[{position}]", $"The items of '{field}' must be objects.");
            }

            var values = RowValues(child, element, requirePresent: false, new FieldPrefix(field, position));
            await using (var commandLease = Command(statement.Insert))
            {
                var command = commandLease.Command;
                AddParameter(command, RecordStatements.Value(0), rootKey);
                AddParameter(command, RecordStatements.Value(1), parentPosition);
                AddParameter(command, RecordStatements.Value(2), (long)position);
                for (var i = 0; i < child.Columns.Count; i++)
                {
                    AddParameter(command, RecordStatements.Value(i + 3), values.GetValueOrDefault(child.Columns[i].Name));
                }

                await command.ExecuteNonQueryAsync(ct);
            }

            if (statement.Children.Length > 0)
            {
                var ownPosition = parentPosition.Length == 0 ? position.ToString(CultureInfo.InvariantCulture) : $"{parentPosition}.{position}";
                await InsertChildrenAsync(child, element, rootKey, ownPosition, ct, new FieldPrefix(field, position).Text);
            }

            position++;
        }
    }

    /// <summary>
    /// Column values of one row; with <paramref name="requirePresent"/> only the fields present (PATCH). A child row's
    /// field paths (for errors only) start with <paramref name="prefix"/>.
    /// </summary>
    private Dictionary<string, object?> RowValues(TableDef table, JsonElement record, bool requirePresent, FieldPrefix? prefix = null)
    {
        var fields = statements.Of(table).Fields;
        var values = new Dictionary<string, object?>(table.Columns.Count);
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (!TryGetPath(record, column.Source, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (column.PrimaryKey)
                {
                    var field = Field(prefix, fields[i]);
                    throw new RecordValidationException(field, $"The key field '{field}' is missing or null.");
                }

                if (requirePresent && !TryGetPath(record, column.Source, out _))
                {
                    continue;
                }

                values[column.Name] = null;
                continue;
            }

            values[column.Name] = TryConvertJson(column, value, out var converted) ? converted : throw WrongValue(column, value, Field(prefix, fields[i]));
        }

        return values;
    }

    private static string Field(FieldPrefix? prefix, string field) => prefix is { } parent ? parent.Text + field : field;

    private List<object?> KeyValues(IReadOnlyDictionary<string, object?> values)
    {
        var key = new List<object?>(statements.KeyColumns.Count);
        foreach (var column in statements.KeyColumns)
        {
            key.Add(values[column.Name]);
        }

        return key;
    }

    /// <summary>Where a child row sits in the record (<c>comments[2].</c>), spelled out only when an error names a field.</summary>
    private readonly record struct FieldPrefix(string Parent, int Position)
    {
        public string Text => $"{Parent}[{Position}].";
    }
}
