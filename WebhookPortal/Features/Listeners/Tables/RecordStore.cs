using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>Counts of one write, as the receiver answers them.</summary>
public sealed record WriteSummary(int Inserted, int Updated, int Deleted)
{
    public static readonly WriteSummary None = new(0, 0, 0);

    public WriteSummary Add(WriteSummary other) => new(Inserted + other.Inserted, Updated + other.Updated, Deleted + other.Deleted);
}

/// <summary>A change to a root record, as data tracking reports it: the record has the records API's shape.</summary>
public sealed record RecordChange(string Action, JsonObject Record);

/// <summary>A value that does not fit its column, or a missing key: 422 naming the field.</summary>
public sealed class RecordValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Reads and writes one listener's generated tables on a caller's connection and transaction, with
/// parameterised commands only. Converts JSON values to column values (422 when they do not fit).
/// </summary>
public sealed class RecordStore(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, Guid listenerId, TableSchema schema)
{
    private string Table(TableDef table) => dialect.Quote(SqlDialect.PhysicalName(listenerId, table.Name));

    /// <summary>When set, every insert, update and delete of a root record is reported here (data tracking).</summary>
    public List<RecordChange>? Changes { get; set; }

    /// <summary>
    /// Commands kept for the receiver's batch: SQLite prepares a statement once per command object, so
    /// the same SQL for the next request of the batch skips parsing and planning.
    /// </summary>
    public CommandCache? Commands { get; init; }

    private CommandLease Command(string sql)
    {
        if (Commands is not null)
        {
            return new CommandLease(Commands.Get(connection, transaction, sql), Owned: false);
        }

        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return new CommandLease(command, Owned: true);
    }

    private readonly record struct CommandLease(DbCommand Command, bool Owned) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Owned ? Command.DisposeAsync() : ValueTask.CompletedTask;
    }

    private static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

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
        var exists = await ExistsAsync(key, ct);

        foreach (var child in schema.Tables.Skip(1))
        {
            await DeleteChildRowsAsync(child, rootKey, ct);
        }

        await WriteRootAsync(root, values, lastModified, ct);
        await InsertChildrenAsync(root, record, rootKey, parentPosition: "", ct);
        if (Changes is not null && await ReadOneAsync(key, ct) is { } stored)
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

        if (Changes is not null && await ReadOneAsync(key, ct) is { } stored)
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
        var before = Changes is null ? null : await ReadOneAsync(key.Values.ToList(), ct);
        foreach (var child in schema.Tables.Skip(1))
        {
            await DeleteChildRowsAsync(child, rootKey, ct);
        }

        if (before is not null)
        {
            Changes!.Add(new RecordChange("delete", before));
        }

        await using var commandLease = Command($"DELETE FROM {Table(schema.Root)} WHERE {KeyWhere(command: null)}");
        var command = commandLease.Command;
        var i = 0;
        foreach (var column in schema.KeyColumns)
        {
            AddParameter(command, "@k" + i++, key[column.Name]);
        }

        return await command.ExecuteNonQueryAsync(ct);
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

    private string KeyWhere(DbCommand? command) =>
        string.Join(" AND ", schema.KeyColumns.Select((c, i) => $"{dialect.Quote(c.Name)} = @k{i}"));

    private async Task<bool> ExistsAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        await using var commandLease = Command($"SELECT 1 FROM {Table(schema.Root)} WHERE {KeyWhere(null)}");
        var command = commandLease.Command;
        for (var i = 0; i < key.Count; i++)
        {
            AddParameter(command, "@k" + i, key[i]);
        }

        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private async Task<Dictionary<string, object?>?> ReadRootAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        var columns = schema.Root.Columns;
        await using var commandLease = Command($"SELECT {string.Join(", ", columns.Select(c => dialect.Quote(c.Name)))} FROM {Table(schema.Root)} WHERE {KeyWhere(null)}");
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

    private async Task WriteRootAsync(TableDef root, IReadOnlyDictionary<string, object?> values, string lastModified, CancellationToken ct)
    {
        var columns = root.Columns.Select(c => c.Name).Append(SystemColumns.LastModified).ToList();
        var keys = root.Columns.Where(c => c.PrimaryKey).Select(c => dialect.Quote(c.Name));
        var updates = columns.Where(c => !root.Columns.Any(k => k.PrimaryKey && k.Name == c))
            .Select(c => $"{dialect.Quote(c)} = excluded.{dialect.Quote(c)}");
        var sql = $"INSERT INTO {Table(root)} ({string.Join(", ", columns.Select(dialect.Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))}) " +
                  $"ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", updates)}";
        await using var commandLease = Command(sql);
        var command = commandLease.Command;
        for (var i = 0; i < root.Columns.Count; i++)
        {
            AddParameter(command, "@p" + i, values.GetValueOrDefault(root.Columns[i].Name));
        }

        AddParameter(command, "@p" + root.Columns.Count, lastModified);
        await command.ExecuteNonQueryAsync(ct);
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
    private Dictionary<string, object?> RowValues(TableDef table, JsonElement record, bool requirePresent, string prefix = "")
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

    /// <summary>The canonical text of a root key, stored on every child row.</summary>
    public static string RootKeyText(IReadOnlyList<object?> key) => JsonSerializer.Serialize(key);

    private static bool TryGetPath(JsonElement record, IReadOnlyList<string> path, out JsonElement value)
    {
        value = record;
        foreach (var segment in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(segment, out value))
            {
                return false;
            }
        }

        return true;
    }

    public static object? ConvertJson(ColumnDef column, JsonElement value, string field)
    {
        if (column.Json)
        {
            return value.GetRawText();
        }

        switch (column.Type)
        {
            case ColumnType.Integer when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l):
                return l;
            // 1e400 parses as infinity, which no JSON answer can carry back: out of range is a wrong value.
            case ColumnType.Real when value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()):
                return value.GetDouble();
            case ColumnType.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            case ColumnType.Timestamp when value.ValueKind == JsonValueKind.String && TryTimestamp(value.GetString()!, out var ts):
                return ts;
            case ColumnType.Text when value.ValueKind == JsonValueKind.String:
                return value.GetString();
            case ColumnType.Text when value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                return value.GetRawText();
            default:
                throw new RecordValidationException(field, $"The field '{field}' must be {Describe(column.Type)}, not {Describe(value)}.");
        }
    }

    private static object? ConvertText(ColumnDef column, string text)
    {
        switch (column.Type)
        {
            case ColumnType.Integer when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l):
                return l;
            case ColumnType.Real when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d):
                return d;
            case ColumnType.Boolean when bool.TryParse(text, out var b):
                return b;
            case ColumnType.Timestamp when TryTimestamp(text, out var ts):
                return ts;
            case ColumnType.Text:
                return text;
            default:
                throw new RecordValidationException(column.Name, $"The key field '{column.Name}' must be {Describe(column.Type)}.");
        }
    }

    private static bool TryTimestamp(string text, out string normalized)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            normalized = parsed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            return true;
        }

        normalized = "";
        return false;
    }

    private static string Describe(ColumnType type) => type switch
    {
        ColumnType.Integer => "an integer",
        ColumnType.Real => "a number",
        ColumnType.Boolean => "true or false",
        ColumnType.Timestamp => "an ISO 8601 date-time string",
        _ => "a string",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    /// <summary>A page of records in the records API's shape: root columns, child sets as arrays, newest first.</summary>
    public async Task<(long Total, List<JsonObject> Items)> ReadPageAsync(int page, int pageSize, CancellationToken ct)
    {
        long total;
        await using (var countLease = Command($"SELECT COUNT(*) FROM {Table(schema.Root)}"))
        {
            var count = countLease.Command;
            total = Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }

        var root = schema.Root;
        var keys = schema.KeyColumns;
        var items = new List<(string RootKey, JsonObject Item)>();
        var order = string.Join(", ", keys.Select(k => dialect.Quote(k.Name)));
        await using (var selectLease = Command($"SELECT {string.Join(", ", root.Columns.Select(c => dialect.Quote(c.Name)))}, {dialect.Quote(SystemColumns.LastModified)} FROM {Table(root)} " +
                                          $"ORDER BY {dialect.Quote(SystemColumns.LastModified)} DESC, {order} LIMIT @take OFFSET @skip"))
        {
            var select = selectLease.Command;
            AddParameter(select, "@take", (long)pageSize);
            AddParameter(select, "@skip", (long)(page - 1) * pageSize);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var item = new JsonObject();
                var key = new List<object?>();
                for (var i = 0; i < root.Columns.Count; i++)
                {
                    var column = root.Columns[i];
                    var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    item[column.Name] = ToNode(column, value);
                    if (column.PrimaryKey)
                    {
                        key.Add(NormalizeKey(column, value));
                    }
                }

                item[SystemColumns.LastModified] = reader.GetString(root.Columns.Count);
                items.Add((RootKeyText(key), item));
            }
        }

        await AttachChildrenAsync(root, items.Select(i => (i.RootKey, "", i.Item)).ToList(), ct);
        return (total, items.Select(i => i.Item).ToList());
    }

    /// <summary>The record of one root key in the records API's shape, or null.</summary>
    public async Task<JsonObject?> ReadOneAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        var root = schema.Root;
        JsonObject? item = null;
        var normalized = new List<object?>();
        await using (var selectLease = Command($"SELECT {string.Join(", ", root.Columns.Select(c => dialect.Quote(c.Name)))}, {dialect.Quote(SystemColumns.LastModified)} FROM {Table(root)} WHERE {KeyWhere(null)}"))
        {
            var select = selectLease.Command;
            for (var i = 0; i < key.Count; i++)
            {
                AddParameter(select, "@k" + i, key[i]);
            }

            await using var reader = await select.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                item = new JsonObject();
                for (var i = 0; i < root.Columns.Count; i++)
                {
                    var column = root.Columns[i];
                    var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    item[column.Name] = ToNode(column, value);
                    if (column.PrimaryKey)
                    {
                        normalized.Add(NormalizeKey(column, value));
                    }
                }

                item[SystemColumns.LastModified] = reader.GetString(root.Columns.Count);
            }
        }

        if (item is not null)
        {
            await AttachChildrenAsync(root, [(RootKeyText(normalized), "", item)], ct);
        }

        return item;
    }

    /// <summary>The latest records (newest first), for samples.</summary>
    public async Task<List<JsonObject>> LatestAsync(int count, CancellationToken ct) => (await ReadPageAsync(1, count, ct)).Items;

    private async Task AttachChildrenAsync(TableDef parent, List<(string RootKey, string Position, JsonObject Item)> parents, CancellationToken ct)
    {
        if (parents.Count == 0)
        {
            return;
        }

        foreach (var child in schema.ChildrenOf(parent.Name))
        {
            var field = string.Join("_", child.Source);
            foreach (var p in parents)
            {
                p.Item[field] = new JsonArray();
            }

            var byParent = parents.ToDictionary(p => (p.RootKey, p.Position), p => (JsonArray)p.Item[field]!);
            var rows = new List<(string RootKey, string Position, JsonObject Item)>();
            var rootKeys = parents.Select(p => p.RootKey).Distinct().ToList();
            var columns = child.Columns;
            var inList = string.Join(", ", rootKeys.Select((_, i) => "@rk" + i));
            await using var commandLease = Command($"SELECT {dialect.Quote(SystemColumns.RootKey)}, {dialect.Quote(SystemColumns.ParentPosition)}, {dialect.Quote(SystemColumns.Position)}" +
                                              (columns.Count > 0 ? ", " + string.Join(", ", columns.Select(c => dialect.Quote(c.Name))) : "") +
                                              $" FROM {Table(child)} WHERE {dialect.Quote(SystemColumns.RootKey)} IN ({inList}) ORDER BY {dialect.Quote(SystemColumns.RootKey)}, {dialect.Quote(SystemColumns.ParentPosition)}, {dialect.Quote(SystemColumns.Position)}");
            var command = commandLease.Command;
            for (var i = 0; i < rootKeys.Count; i++)
            {
                AddParameter(command, "@rk" + i, rootKeys[i]);
            }

            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var rootKey = reader.GetString(0);
                    var parentPosition = reader.GetString(1);
                    var position = reader.GetInt64(2);
                    var item = new JsonObject();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        item[columns[i].Name] = ToNode(columns[i], reader.IsDBNull(i + 3) ? null : reader.GetValue(i + 3));
                    }

                    if (byParent.TryGetValue((rootKey, parentPosition), out var list))
                    {
                        list.Add(item);
                    }

                    var own = parentPosition.Length == 0 ? position.ToString(CultureInfo.InvariantCulture) : $"{parentPosition}.{position}";
                    rows.Add((rootKey, own, item));
                }
            }

            await AttachChildrenAsync(child, rows, ct);
        }
    }

    private static object? NormalizeKey(ColumnDef column, object? value) => column.Type switch
    {
        ColumnType.Integer => value is null ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ColumnType.Real => value is null ? null : Convert.ToDouble(value, CultureInfo.InvariantCulture),
        ColumnType.Boolean => value is null ? null : Convert.ToBoolean(value, CultureInfo.InvariantCulture),
        _ => value?.ToString(),
    };

    private static JsonNode? ToNode(ColumnDef column, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (column.Json)
        {
            return JsonNode.Parse(value.ToString()!);
        }

        return column.Type switch
        {
            ColumnType.Integer => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            ColumnType.Real => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            ColumnType.Boolean => JsonValue.Create(Convert.ToBoolean(value, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(value.ToString()),
        };
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
            var rootKey = RootKeyText(key);
            foreach (var child in schema.Tables.Skip(1))
            {
                await DeleteChildRowsAsync(child, rootKey, ct);
            }

            await using var commandLease = Command($"DELETE FROM {Table(schema.Root)} WHERE {KeyWhere(null)}");
            var command = commandLease.Command;
            for (var i = 0; i < key.Count; i++)
            {
                AddParameter(command, "@k" + i, key[i]);
            }

            deleted += await command.ExecuteNonQueryAsync(ct);
        }

        return deleted;
    }

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var countLease = Command($"SELECT COUNT(*) FROM {Table(schema.Root)}");
        var count = countLease.Command;
        return Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }
}
