using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

/// <summary>
/// The fixture of the record table tests: one listener's tables in an in-memory SQLite database, written by a
/// <see cref="RecordWriter"/> and read back by a <see cref="RecordReader"/> that share the commands, as in the receiver.
/// </summary>
public abstract class RecordTableTests : IDisposable
{
    protected const string T1 = "2024-01-01T00:00:00.0000000Z";
    protected const string T2 = "2024-02-01T00:00:00.0000000Z";
    protected const string T3 = "2024-03-01T00:00:00.0000000Z";

    protected const string Sample = """
        {"id": 1, "name": "a", "qty": 2, "price": 1.5, "paid": true, "at": "2024-01-02T03:04:05Z",
         "tags": ["x", "y"], "note": null, "customer": {"city": "Oslo"},
         "items": [{"sku": "A", "qty": 1, "options": [{"code": "red"}, {"code": "blue"}]}],
         "line-items": [{"n": 1}]}
        """;

    protected static readonly CancellationToken Ct = CancellationToken.None;

    private readonly SqliteConnection connection = new("Data Source=:memory:");

    private readonly SqliteDialect dialect = new();

    private readonly Guid listenerId = Guid.NewGuid();

    protected RecordTableTests() => connection.Open();

    /// <summary>Null: every command is new. The receiver's writer shares one cache across a batch.</summary>
    protected virtual CommandCache? Commands => null;

    public void Dispose()
    {
        Commands?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        connection.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    protected Store Create(string sample = Sample, IReadOnlyList<string>? primaryKey = null) =>
        Create(SchemaInference.Infer(Json(sample), "orders", null, primaryKey ?? ["id"]));

    protected Store Create(TableSchema schema)
    {
        foreach (var statement in SchemaMigration.Plan(listenerId, null, schema, dialect).Statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }

        return new Store(
            new RecordWriter(connection, null, dialect, listenerId, schema) { Commands = Commands },
            new RecordReader(connection, null, dialect, listenerId, schema) { Commands = Commands });
    }

    protected long Count(string table, string where = "1 = 1")
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{SqlDialect.PhysicalName(listenerId, table)}\" WHERE {where}";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>The rows of an SQL query on the fixture's database, each column as text.</summary>
    protected List<string> Column(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return values;
    }

    protected string Physical(string table) => SqlDialect.PhysicalName(listenerId, table);

    protected static Task<WriteSummary> Upsert(Store store, string json, string lastModified = T1) =>
        store.Writer.UpsertAsync(Json(json), lastModified, Ct);

    protected static async Task<JsonObject> Single(Store store)
    {
        var (total, items) = await store.Reader.ReadPageAsync(1, 100, Ct);
        Assert.Equal(1, total);
        return Assert.Single(items);
    }

    protected static async Task<JsonObject> ById(Store store, long id)
    {
        var (_, items) = await store.Reader.ReadPageAsync(1, 500, Ct);
        return Assert.Single(items, i => (long)i["id"]! == id);
    }

    protected static List<string?> Skus(JsonObject record) =>
        record["items"]!.AsArray().Select(i => (string?)i!["sku"]).ToList();

    /// <summary>The writer and the reader of one listener's tables.</summary>
    protected sealed record Store(RecordWriter Writer, RecordReader Reader);
}
