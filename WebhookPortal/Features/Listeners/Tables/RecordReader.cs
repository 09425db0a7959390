using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using static WebhookPortal.Features.Listeners.Tables.RecordSql;
using static WebhookPortal.Features.Listeners.Tables.RecordValues;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Reads one listener's generated tables on a caller's connection (and transaction, if any) in the records
/// API's shape: root columns, child sets as arrays. Kept apart from <see cref="RecordWriter"/> so pages,
/// counts and samples need no write path.
/// </summary>
public sealed class RecordReader(DbConnection connection, DbTransaction? transaction, SqlDialect dialect, Guid listenerId, TableSchema schema)
{
    /// <summary>The batch's commands when the writer reads a changed record back for data tracking; null otherwise.</summary>
    public CommandCache? Commands { get; init; }

    private string Table(TableDef table) => RecordSql.Table(dialect, listenerId, table);

    private CommandLease Command(string sql) => RecordSql.Command(connection, transaction, Commands, sql);

    /// <summary>A page of records in the records API's shape: root columns, child sets as arrays, newest first.</summary>
    public Task<(long Total, List<JsonObject> Items)> ReadPageAsync(int page, int pageSize, CancellationToken ct) =>
        ReadPageAsync(RecordQuery.Newest, page, pageSize, ct);

    /// <summary>A page of the records the query selects, in its order, with how many it selects in all.</summary>
    public async Task<(long Total, List<JsonObject> Items)> ReadPageAsync(RecordQuery query, int page, int pageSize, CancellationToken ct)
    {
        var where = Where(query);
        long total;
        await using (var countLease = Command($"SELECT COUNT(*) FROM {Table(schema.Root)}{where}"))
        {
            var count = countLease.Command;
            AddSearch(count, query);
            total = Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }

        return (total, await ReadRangeAsync(query, (long)(page - 1) * pageSize, pageSize, ct));
    }

    /// <summary>Every record the query selects, a batch at a time (for exports; run it in a snapshot transaction so batches agree).</summary>
    public async IAsyncEnumerable<List<JsonObject>> ReadAllAsync(RecordQuery query, int batchSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (long skip = 0; ; skip += batchSize)
        {
            var batch = await ReadRangeAsync(query, skip, batchSize, ct);
            if (batch.Count > 0)
            {
                yield return batch;
            }

            if (batch.Count < batchSize)
            {
                yield break;
            }
        }
    }

    private async Task<List<JsonObject>> ReadRangeAsync(RecordQuery query, long skip, int take, CancellationToken ct)
    {
        var root = schema.Root;
        var items = new List<(string RootKey, JsonObject Item)>();
        var direction = query.Descending ? "DESC" : "ASC";
        var sort = query.Sort ?? SystemColumns.LastModified;
        // The key breaks ties, so pages neither repeat nor skip a record.
        var order = string.Join(", ", schema.KeyColumns.Where(k => k.Name != sort).Select(k => dialect.Quote(k.Name) + " " + direction).Prepend(dialect.Quote(sort) + " " + direction));
        await using (var selectLease = Command($"SELECT {string.Join(", ", root.Columns.Select(c => dialect.Quote(c.Name)))}, {dialect.Quote(SystemColumns.LastModified)} FROM {Table(root)}{Where(query)} " +
                                          $"ORDER BY {order} LIMIT @take OFFSET @skip"))
        {
            var select = selectLease.Command;
            AddSearch(select, query);
            AddParameter(select, "@take", (long)take);
            AddParameter(select, "@skip", skip);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = new List<object?>();
                var item = ReadRootRow(reader, root, key);
                items.Add((RootKeyText(key), item));
            }
        }

        await AttachChildrenAsync(root, items.Select(i => (i.RootKey, "", i.Item)).ToList(), ct);
        return items.Select(i => i.Item).ToList();
    }

    // A search matches the key or any text column, as text; its wildcards are matched literally.
    private string Where(RecordQuery query)
    {
        if (query.Search is null)
        {
            return "";
        }

        var searched = RecordQuery.SearchedColumns(schema).Select(c => $"CAST({dialect.Quote(c.Name)} AS TEXT) {dialect.CaseInsensitiveLike} @q ESCAPE '\\'").ToList();
        return " WHERE " + (searched.Count == 0 ? "1 = 0" : string.Join(" OR ", searched));
    }

    private static void AddSearch(DbCommand command, RecordQuery query)
    {
        if (query.Search is not null)
        {
            var escaped = query.Search.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
            AddParameter(command, "@q", "%" + escaped + "%");
        }
    }

    /// <summary>The record of one root key in the records API's shape, or null.</summary>
    public async Task<JsonObject?> ReadOneAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        var root = schema.Root;
        JsonObject? item = null;
        var normalized = new List<object?>();
        await using (var selectLease = Command($"SELECT {string.Join(", ", root.Columns.Select(c => dialect.Quote(c.Name)))}, {dialect.Quote(SystemColumns.LastModified)} FROM {Table(root)} WHERE {KeyWhere(dialect, schema)}"))
        {
            var select = selectLease.Command;
            for (var i = 0; i < key.Count; i++)
            {
                AddParameter(select, "@k" + i, key[i]);
            }

            await using var reader = await select.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                item = ReadRootRow(reader, root, normalized);
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

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var countLease = Command($"SELECT COUNT(*) FROM {Table(schema.Root)}");
        var count = countLease.Command;
        return Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

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

    /// <summary>One root row (its columns, then the last-modified column) as a record; its key values are added to <paramref name="key"/>.</summary>
    private static JsonObject ReadRootRow(DbDataReader reader, TableDef root, List<object?> key)
    {
        var item = new JsonObject();
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
        return item;
    }
}
