using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using static WebhookPortal.Features.Listeners.Tables.RecordSql;
using static WebhookPortal.Features.Listeners.Tables.RecordValues;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Writes one listener's generated tables on a caller's connection and transaction, with parameterised
/// commands only: the receiver's upserts, patches and deletes, and retention's deletes. This is the ingest
/// hot path, so it keeps to the batch's <see cref="CommandCache"/> and allocates nothing extra per record.
/// </summary>
public sealed class RecordWriter(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, Guid listenerId, TableSchema schema)
{
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
        foreach (var child in schema.Tables.Skip(1))
        {
            await DeleteChildRowsAsync(child, rootKey, ct);
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
        await using var commandLease = Command($"SELECT 1 FROM {Table(schema.Root)} WHERE {KeyWhere(dialect, schema)}");
        var command = commandLease.Command;
        for (var i = 0; i < key.Count; i++)
        {
            AddParameter(command, "@k" + i, key[i]);
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
        var columns = root.Columns.Select(c => c.Name).Append(SystemColumns.LastModified).ToList();
        var keys = root.Columns.Where(c => c.PrimaryKey).Select(c => dialect.Quote(c.Name));
        var updates = columns.Where(c => !root.Columns.Any(k => k.PrimaryKey && k.Name == c))
            .Select(c => $"{dialect.Quote(c)} = excluded.{dialect.Quote(c)}");
        var sql = $"INSERT INTO {Table(root)} ({string.Join(", ", columns.Select(dialect.Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))}) " +
                  $"ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", updates)}{dialect.ReturningInserted}";
        await using var commandLease = Command(sql);
        var command = commandLease.Command;
        for (var i = 0; i < root.Columns.Count; i++)
        {
            AddParameter(command, "@p" + i, values.GetValueOrDefault(root.Columns[i].Name));
        }

        AddParameter(command, "@p" + root.Columns.Count, lastModified);
        if (dialect.ReturningInserted is null)
        {
            await command.ExecuteNonQueryAsync(ct);
            return null;
        }

        return await command.ExecuteScalarAsync(ct) is true;
    }

    private async Task DeleteChildRowsAsync(TableDef child, string rootKey, CancellationToken ct)
    {
        await using var commandLease = Command($"DELETE FROM {Table(child)} WHERE {dialect.Quote(SystemColumns.RootKey)} = @rk");
        var command = commandLease.Command;
        AddParameter(command, "@rk", rootKey);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task InsertChildrenAsync(TableDef parent, JsonElement parentRecord, string rootKey, string parentPosition, CancellationToken ct, string prefix = "")
    {
        foreach (var child in schema.ChildrenOf(parent.Name))
        {
            if (TryGetPath(parentRecord, child.Source, out var array))
            {
                await InsertChildSetAsync(child, array, rootKey, parentPosition, ct, prefix);
            }
        }
    }

    private async Task InsertChildSetAsync(TableDef child, JsonElement array, string rootKey, string parentPosition, CancellationToken ct, string prefix = "")
    {
        var field = prefix + string.Join(".", child.Source);
        if (array.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new RecordValidationException(field, $"The field '{field}' must be an array of objects.");
        }

        var columns = child.Columns.Select(c => c.Name).Prepend(SystemColumns.Position).Prepend(SystemColumns.ParentPosition).Prepend(SystemColumns.RootKey).ToList();
        var sql = $"INSERT INTO {Table(child)} ({string.Join(", ", columns.Select(dialect.Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        var position = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new RecordValidationException($"{field}[{position}]", $"The items of '{field}' must be objects.");
            }

            var elementPrefix = $"{field}[{position}].";
            var values = RowValues(child, element, requirePresent: false, prefix: elementPrefix);
            await using (var commandLease = Command(sql))
            {
                var command = commandLease.Command;
                AddParameter(command, "@p0", rootKey);
                AddParameter(command, "@p1", parentPosition);
                AddParameter(command, "@p2", (long)position);
                for (var i = 0; i < child.Columns.Count; i++)
                {
                    AddParameter(command, "@p" + (i + 3), values.GetValueOrDefault(child.Columns[i].Name));
                }

                await command.ExecuteNonQueryAsync(ct);
            }

            var ownPosition = parentPosition.Length == 0 ? position.ToString(CultureInfo.InvariantCulture) : $"{parentPosition}.{position}";
            await InsertChildrenAsync(child, element, rootKey, ownPosition, ct, elementPrefix);
            position++;
        }
    }

    /// <summary>Column values of one row; with <paramref name="requirePresent"/> only the fields present (PATCH).</summary>
    private static Dictionary<string, object?> RowValues(TableDef table, JsonElement record, bool requirePresent, string prefix = "")
    {
        var values = new Dictionary<string, object?>();
        foreach (var column in table.Columns)
        {
            var field = prefix + string.Join(".", column.Source);
            if (!TryGetPath(record, column.Source, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (column.PrimaryKey)
                {
                    throw new RecordValidationException(field, $"The key field '{field}' is missing or null.");
                }

                if (requirePresent && !TryGetPath(record, column.Source, out _))
                {
                    continue;
                }

                values[column.Name] = null;
                continue;
            }

            values[column.Name] = ConvertJson(column, value, field);
        }

        return values;
    }

    private List<object?> KeyValues(IReadOnlyDictionary<string, object?> values) =>
        schema.KeyColumns.Select(c => values[c.Name]).ToList();
}
