using System.Text.Json;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

/// <summary>The SQL texts <see cref="RecordWriter"/> keeps per schema: built once, and never another listener's or schema's.</summary>
public class RecordStatementsTests
{
    private static readonly Guid ListenerId = Guid.NewGuid();

    private static TableSchema Infer(string sample) =>
        SchemaInference.Infer(JsonDocument.Parse(sample).RootElement.Clone(), "orders", null, ["id"]);

    [Fact]
    public void One_schema_instance_is_built_once()
    {
        var schema = Infer("""{"id": 1, "name": "a", "items": [{"sku": "A"}]}""");

        var first = RecordStatements.For(new SqliteDialect(), ListenerId, schema);
        var second = RecordStatements.For(new SqliteDialect(), ListenerId, schema);

        Assert.Same(first, second);
        Assert.NotSame(first, RecordStatements.For(new SqliteDialect(), ListenerId, schema with { }));
    }

    [Fact]
    public void Another_listener_with_the_same_schema_instance_writes_its_own_tables()
    {
        var schema = Infer("""{"id": 1, "name": "a", "items": [{"sku": "A"}]}""");
        var other = Guid.NewGuid();
        RecordStatements.For(new SqliteDialect(), ListenerId, schema);

        var statements = RecordStatements.For(new SqliteDialect(), other, schema);

        var upsert = statements.Of(schema.Root).Upsert;
        Assert.Contains(SqlDialect.PhysicalName(other, "orders"), upsert, StringComparison.Ordinal);
        Assert.DoesNotContain(SqlDialect.PhysicalName(ListenerId, "orders"), upsert, StringComparison.Ordinal);
        Assert.Contains(SqlDialect.PhysicalName(other, "orders_items"), statements.Of(schema.Tables[1]).Insert, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_schema_gets_statements_with_its_new_column()
    {
        var before = Infer("""{"id": 1, "name": "a"}""");
        var after = Infer("""{"id": 1, "name": "a", "city": "Oslo"}""");
        Assert.DoesNotContain("city", RecordStatements.For(new SqliteDialect(), ListenerId, before).Of(before.Root).Upsert, StringComparison.Ordinal);

        var upsert = RecordStatements.For(new SqliteDialect(), ListenerId, after).Of(after.Root).Upsert;

        Assert.Contains("\"city\"", upsert, StringComparison.Ordinal);
        Assert.Contains("excluded.\"city\"", upsert, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_names_past_the_kept_ones_are_still_spelled_out()
    {
        Assert.Equal("@p3", RecordStatements.Value(3));
        Assert.Equal("@p200", RecordStatements.Value(200));
        Assert.Equal("@k2", RecordStatements.Key(2));
        Assert.Equal("@k40", RecordStatements.Key(40));
    }
}
