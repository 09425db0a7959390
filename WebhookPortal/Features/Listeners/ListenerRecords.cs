using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>A listener's stored records, a page at a time or as a download, for the records API, the Data tab and backups.</summary>
public sealed class ListenerRecords(IDbContextFactory<PortalDbContext> dbFactory)
{
    private const int ExportBatch = 500;

    public async Task<RecordsPageResponse> GetRecordsAsync(Guid id, int page, int pageSize, RecordsFilter? filter = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (pageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var listener = await FindAsync(db, id, ct);
        var schema = listener.GetSchema();
        var query = RecordQuery.Parse(schema, filter?.Q, filter?.Sort, filter?.Order);
        if (schema is null)
        {
            return new RecordsPageResponse(0, []);
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var store = new RecordReader(db.Database.GetDbConnection(), null, SqlDialect.For(db.Database.IsSqlite()), id, schema);
            var (total, items) = await store.ReadPageAsync(query, page, pageSize, ct);
            return new RecordsPageResponse(total, items);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Checks an export of the records the filter selects (all of them, in its order) and returns its writer:
    /// <c>csv</c> (a column per root column, child sets as JSON text, formulas escaped for spreadsheets) or
    /// <c>json</c> (an array in the records API's shape). The writer reads one snapshot in batches, so a record
    /// arriving meanwhile neither repeats nor shifts a row.
    /// </summary>
    public async Task<RecordExport> PrepareExportAsync(Guid id, string? format, RecordsFilter? filter, CancellationToken ct = default)
    {
        var csv = format?.Trim().ToLowerInvariant() switch
        {
            "csv" => true,
            "json" => false,
            _ => throw new PortalValidationException("format", "The format is 'csv' or 'json'."),
        };

        Listener listener;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            listener = await FindAsync(db, id, ct);
        }

        var schema = listener.GetSchema();
        var query = RecordQuery.Parse(schema, filter?.Q, filter?.Sort, filter?.Order);
        var name = FileName(listener.Name) + "-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return csv
            ? new RecordExport(name + ".csv", "text/csv; charset=utf-8", (stream, token) => WriteCsvAsync(id, schema, query, stream, token))
            : new RecordExport(name + ".json", "application/json; charset=utf-8", (stream, token) => WriteJsonAsync(id, schema, query, stream, token));
    }

    private async Task WriteJsonAsync(Guid id, TableSchema? schema, RecordQuery query, Stream stream, CancellationToken ct)
    {
        await using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartArray();
        await foreach (var batch in ReadAllAsync(id, schema, query, ct))
        {
            foreach (var record in batch)
            {
                record.WriteTo(writer);
            }

            await writer.FlushAsync(ct);
        }

        writer.WriteEndArray();
        await writer.FlushAsync(ct);
    }

    private async Task WriteCsvAsync(Guid id, TableSchema? schema, RecordQuery query, Stream stream, CancellationToken ct)
    {
        if (schema is null)
        {
            return;
        }

        var root = schema.Root;
        var children = schema.ChildrenOf(root.Name).Select(c => string.Join("_", c.Source)).ToList();
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        csv.WriteHeader([.. root.Columns.Select(c => c.Name), .. children, SystemColumns.LastModified]);
        await foreach (var batch in ReadAllAsync(id, schema, query, ct))
        {
            foreach (var record in batch)
            {
                foreach (var column in root.Columns)
                {
                    WriteCell(csv, column, record[column.Name]);
                }

                foreach (var child in children)
                {
                    csv.WriteField(record[child]?.ToJsonString());
                }

                csv.WriteField(record[SystemColumns.LastModified]?.GetValue<string>());
                await csv.EndRecordAsync(ct);
            }
        }

        await csv.FlushAsync(ct);
    }

    // Numbers and booleans are written as such (a negative number is not a formula); text goes through the injection guard.
    private static void WriteCell(CsvWriter csv, ColumnDef column, JsonNode? value)
    {
        if (value is null)
        {
            csv.WriteField((string?)null);
            return;
        }

        if (column.Json)
        {
            csv.WriteField(value.ToJsonString());
            return;
        }

        switch (column.Type)
        {
            case ColumnType.Integer:
                csv.WriteField(value.GetValue<long>(), default);
                break;
            case ColumnType.Real:
                csv.WriteField(value.GetValue<double>(), "R");
                break;
            case ColumnType.Boolean:
                csv.WriteField(value.GetValue<bool>());
                break;
            default:
                csv.WriteField(value.GetValue<string>());
                break;
        }
    }

    private async IAsyncEnumerable<List<JsonObject>> ReadAllAsync(Guid id, TableSchema? schema, RecordQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (schema is null)
        {
            yield break;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dialect = SqlDialect.For(db.Database.IsSqlite());
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await using var snapshot = await dialect.BeginSnapshotAsync(connection, ct);
        var reader = new RecordReader(connection, snapshot, dialect, id, schema);
        await foreach (var batch in reader.ReadAllAsync(query, ExportBatch, ct))
        {
            yield return batch;
        }
    }

    // The listener's name as a file name: letters, digits, '-' and '_' only.
    private static string FileName(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray()).Trim('-');
        return safe.Length == 0 ? "records" : safe;
    }
}
