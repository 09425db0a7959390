using System.Text.Json;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

public sealed class InferenceTests
{
    private static TableSchema Infer(string json, string? rootPath = null, string baseName = "orders", string[]? key = null) =>
        SchemaInference.Infer(JsonDocument.Parse(json).RootElement, baseName, rootPath, key);

    private static ColumnDef Column(TableDef table, string name) => Assert.Single(table.Columns, c => c.Name == name);

    [Fact]
    public void Nested_objects_flatten_into_prefixed_columns_that_remember_their_path()
    {
        var schema = Infer("""{"id":1,"customer":{"name":"Ann","address":{"city":"Paris"}}}""");

        var city = Column(schema.Root, "customer_address_city");
        Assert.Equal(["customer", "address", "city"], city.Source);
        Assert.Equal(ColumnType.Text, city.Type);
        Assert.Single(schema.Tables);
    }

    [Fact]
    public void Arrays_of_scalars_and_empty_arrays_are_json_text()
    {
        var schema = Infer("""{"id":1,"tags":["a","b"],"scores":[1,2],"nothing":[]}""");
        Assert.All(new[] { "tags", "scores", "nothing" }, name =>
        {
            var column = Column(schema.Root, name);
            Assert.True(column.Json);
            Assert.Equal(ColumnType.Text, column.Type);
        });
    }

    [Fact]
    public void Arrays_of_objects_become_child_tables_recursively_parents_first()
    {
        var schema = Infer("""{"id":1,"lines":[{"sku":"a","qty":2,"notes":[{"text":"x"}]}]}""");

        Assert.Equal(["orders", "orders_lines", "orders_lines_notes"], schema.Tables.Select(t => t.Name).ToArray());
        Assert.Equal("orders", schema.Tables[1].Parent);
        Assert.Equal("orders_lines", schema.Tables[2].Parent);
        Assert.Equal(["lines"], schema.Tables[1].Source);
        Assert.Equal(ColumnType.Integer, Column(schema.Tables[1], "qty").Type);
        Assert.DoesNotContain(schema.Root.Columns, c => c.Name == "lines");
    }

    [Theory]
    [InlineData("""[{"v":null},{"v":5}]""", ColumnType.Integer)]
    [InlineData("""[{"v":null}]""", ColumnType.Text)]
    [InlineData("""[{"v":1},{"v":2.5}]""", ColumnType.Real)]
    [InlineData("""[{"v":1},{"v":"x"}]""", ColumnType.Text)]
    [InlineData("""[{"v":true},{"v":false}]""", ColumnType.Boolean)]
    [InlineData("""[{"v":true},{"v":1}]""", ColumnType.Text)]
    [InlineData("""[{"v":"2026-01-02T10:00:00Z"},{"v":"2026-01-03 11:30:00+02:00"}]""", ColumnType.Timestamp)]
    [InlineData("""[{"v":"2026-01-02T10:00:00Z"},{"v":"tomorrow"}]""", ColumnType.Text)]
    [InlineData("""[{"v":"2026-13-45T99:00:00Z"}]""", ColumnType.Text)]
    [InlineData("""[{"v":12345678901234}]""", ColumnType.Integer)]
    public void Types_are_inferred_from_every_value_seen(string sample, ColumnType expected) =>
        Assert.Equal(expected, Column(Infer(sample).Root, "v").Type);

    [Fact]
    public void An_array_of_records_contributes_the_union_of_their_fields()
    {
        var schema = Infer("""[{"id":1,"a":"x"},{"id":2,"b":true},{"id":3,"lines":[{"n":1}]}]""");
        Assert.Equal(["id", "a", "b"], schema.Root.Columns.Select(c => c.Name).ToArray());
        Assert.Equal(2, schema.Tables.Count);
    }

    [Fact]
    public void Deep_nesting_works_at_every_level()
    {
        var schema = Infer("""{"id":1,"a":{"b":{"c":{"d":{"e":{"f":7}}}}},"l1":[{"l2":[{"l3":[{"l4":[{"x":1}]}]}]}]}""");
        Assert.Equal(ColumnType.Integer, Column(schema.Root, "a_b_c_d_e_f").Type);
        Assert.Equal(5, schema.Tables.Count);
        Assert.Equal("orders_l1_l2_l3_l4", schema.Tables[^1].Name);
    }

    [Fact]
    public void The_root_path_selects_the_records()
    {
        var schema = Infer("""{"meta":{"page":1},"data":{"items":[{"id":7,"x":"y"}]}}""", "data.items");
        Assert.Equal(["id", "x"], schema.Root.Columns.Select(c => c.Name).ToArray());
        Assert.Equal("data.items", schema.RootPath);
    }

    [Theory]
    [InlineData("""{"data":{}}""", "data.items")]
    [InlineData("""{"data":[1,2]}""", "data.items")]
    [InlineData("""42""", null)]
    [InlineData("""{"data":"text"}""", "data")]
    public void A_missing_root_path_or_a_scalar_is_refused(string sample, string? rootPath) =>
        Assert.Throws<UnprocessableException>(() => Infer(sample, rootPath));

    [Fact]
    public void Odd_field_names_become_safe_distinct_identifiers()
    {
        var longName = new string('w', 80);
        var schema = Infer($$"""{"id":1,"x\"; DROP TABLE y; --":1,"a-b":1,"a_b":2,"with space":1,"9lives":1,"émoji 🙂":1,"lastModified":1,"_root_key":1,"{{longName}}":1}""");
        var names = schema.Root.Columns.Select(c => c.Name).ToList();

        Assert.All(names, n => Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", n));
        Assert.All(names, n => Assert.True(n.Length <= SchemaInference.MaxIdentifierLength));
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("x_DROP_TABLE_y", names);
        Assert.Contains("f_9lives", names);
        Assert.DoesNotContain("lastModified", names);
        Assert.DoesNotContain("_root_key", names);
        Assert.Equal(["x\"; DROP TABLE y; --"], Column(schema.Root, "x_DROP_TABLE_y").Source);
    }

    [Fact]
    public void The_primary_key_marks_root_columns_and_an_unknown_one_is_refused()
    {
        var schema = Infer("""{"region":"eu","code":1,"x":2}""", key: ["region", "code"]);
        Assert.Equal(["region", "code"], schema.KeyColumns.Select(c => c.Name).ToArray());
        Assert.Throws<PortalValidationException>(() => Infer("""{"id":1}""", key: ["nope"]));
    }

    [Fact]
    public void The_base_name_is_sanitised() =>
        Assert.Equal("my_orders_2026", Infer("""{"id":1}""", baseName: "my orders/2026").Root.Name);
}

public sealed class MigrationPlanTests
{
    private static readonly Guid ListenerId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    private static TableSchema Schema(string json, params string[] key) =>
        SchemaInference.Infer(JsonDocument.Parse(json).RootElement, "orders", null, key.Length == 0 ? ["id"] : key);

    [Fact]
    public void The_first_plan_creates_every_table_and_loses_nothing()
    {
        var plan = SchemaMigration.Plan(ListenerId, null, Schema("""{"id":1,"lines":[{"sku":"a"}]}"""), new SqliteDialect());
        Assert.Empty(plan.Losses);
        Assert.Equal(2, plan.Statements.Count(s => s.StartsWith("CREATE TABLE", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_new_field_only_adds_a_column()
    {
        var plan = SchemaMigration.Plan(ListenerId, Schema("""{"id":1}"""), Schema("""{"id":1,"color":"red"}"""), new SqliteDialect());
        Assert.Empty(plan.Losses);
        Assert.Equal(["ALTER TABLE \"l0f1e2d3c4b5a_orders\" ADD COLUMN \"color\" TEXT"], plan.Statements);
    }

    [Fact]
    public void Removing_changing_or_rekeying_is_destructive_and_says_what_is_lost()
    {
        var current = Schema("""{"id":1,"name":"x","qty":1,"lines":[{"sku":"a"}]}""");
        Assert.Contains(SchemaMigration.Plan(ListenerId, current, Schema("""{"id":1,"qty":1,"lines":[{"sku":"a"}]}"""), new SqliteDialect()).Losses, l => l.Contains("orders.name"));
        Assert.Contains(SchemaMigration.Plan(ListenerId, current, Schema("""{"id":1,"name":"x","qty":"many","lines":[{"sku":"a"}]}"""), new SqliteDialect()).Losses, l => l.Contains("orders.qty") && l.Contains("type"));
        Assert.Contains(SchemaMigration.Plan(ListenerId, current, Schema("""{"id":1,"name":"x","qty":1}"""), new SqliteDialect()).Losses, l => l.Contains("orders_lines"));
        Assert.Contains(SchemaMigration.Plan(ListenerId, current, Schema("""{"id":1,"name":"x","qty":1,"lines":[{"sku":"a"}]}""", "name"), new SqliteDialect()).Losses, l => l.Contains("primary key"));
    }

    [Fact]
    public void Physical_names_are_namespaced_per_listener_and_fit_postgres()
    {
        var a = SqlDialect.PhysicalName(Guid.NewGuid(), new string('t', SchemaInference.MaxIdentifierLength));
        var b = SqlDialect.PhysicalName(Guid.NewGuid(), new string('t', SchemaInference.MaxIdentifierLength));
        Assert.NotEqual(a, b);
        Assert.True(a.Length <= 63);
    }

    [Fact]
    public void Postgres_types_are_native()
    {
        var plan = SchemaMigration.Plan(ListenerId, null, Schema("""{"id":1,"ok":true,"at":"2026-01-01T00:00:00Z","x":1.5}"""), new PostgresDialect());
        var create = plan.Statements[0];
        Assert.Contains("\"id\" bigint NOT NULL", create);
        Assert.Contains("\"ok\" boolean", create);
        Assert.Contains("\"x\" double precision", create);
    }
}
