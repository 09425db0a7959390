using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

public sealed partial class SchemaMigrationTests : IDisposable
{
    private const string Injection = "x\"; DROP TABLE y; --";

    private static readonly Guid ListenerId = Guid.Parse("0123456789ab4def8123456789abcdef");

    private readonly SqliteConnection connection = new("Data Source=:memory:");

    private readonly SqliteDialect sqlite = new();

    public SchemaMigrationTests() => connection.Open();

    public void Dispose() => connection.Dispose();

    private static TableSchema Infer(string json, string baseName = "orders", IReadOnlyList<string>? primaryKey = null) =>
        SchemaInference.Infer(JsonDocument.Parse(json).RootElement.Clone(), baseName, null, primaryKey ?? ["id"]);

    private static string Physical(string table) => SqlDialect.PhysicalName(ListenerId, table);

    private void Execute(IEnumerable<string> statements)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var statement in statements)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private SchemaMigrationPlan PlanAndRun(TableSchema? current, TableSchema target)
    {
        var plan = SchemaMigration.Plan(ListenerId, current, target, sqlite);
        Execute(plan.Statements);
        return plan;
    }

    private List<string> Objects(string type)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = @type ORDER BY name";
        command.Parameters.AddWithValue("@type", type);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private List<(string Name, string Type, bool NotNull, int Pk)> ColumnsOf(string physical)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table) ORDER BY cid";
        command.Parameters.AddWithValue("@table", physical);
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string, bool, int)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2) == 1, (int)reader.GetInt64(3)));
        }

        return columns;
    }

    private long Scalar(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private const string Sample = """
        {"id": 1, "note": "n", "qty": 2, "paid": true,
         "items": [{"sku": "A", "options": [{"code": "red"}]}],
         "payments": [{"amount": 9.5}]}
        """;

    [Fact]
    public void The_first_plan_creates_every_table_with_its_columns_and_loses_nothing()
    {
        var schema = Infer(Sample);

        var plan = PlanAndRun(null, schema);

        Assert.Empty(plan.Losses);
        Assert.False(plan.IsDestructive);
        var creates = plan.Statements.Where(s => s.StartsWith("CREATE TABLE ", StringComparison.Ordinal)).ToList();
        Assert.Equal(schema.Tables.Count, creates.Count);
        // One index, the root's last-modified one (retention); child rows are found through their primary key.
        Assert.Equal([$"CREATE INDEX \"{SchemaMigration.IndexName(ListenerId, "orders", "lm")}\" ON \"{Physical("orders")}\" (\"{SystemColumns.LastModified}\")"],
            plan.Statements.Where(s => s.StartsWith("CREATE INDEX ", StringComparison.Ordinal)));
        Assert.Equal(schema.Tables.Count + 1, plan.Statements.Count);
        foreach (var table in schema.Tables)
        {
            Assert.Contains(creates, s => s.StartsWith($"CREATE TABLE \"{Physical(table.Name)}\" (", StringComparison.Ordinal));
        }

        var tables = Objects("table");
        Assert.Equal(schema.Tables.Select(t => Physical(t.Name)).Order(StringComparer.Ordinal), tables.Order(StringComparer.Ordinal));

        var root = ColumnsOf(Physical("orders"));
        Assert.Equal(["id", "note", "qty", "paid", SystemColumns.LastModified], root.Select(c => c.Name));
        Assert.Equal(["INTEGER", "TEXT", "INTEGER", "INTEGER", "TEXT"], root.Select(c => c.Type));
        Assert.Equal(1, root.Single(c => c.Name == "id").Pk);
        Assert.True(root.Single(c => c.Name == "id").NotNull);
        Assert.True(root.Single(c => c.Name == SystemColumns.LastModified).NotNull);
        Assert.False(root.Single(c => c.Name == "note").NotNull);

        var options = ColumnsOf(Physical("orders_items_options"));
        Assert.Equal([SystemColumns.RootKey, SystemColumns.ParentPosition, SystemColumns.Position, "code"], options.Select(c => c.Name));
        Assert.Equal([1, 2, 3, 0], options.Select(c => c.Pk));
    }

    [Fact]
    public void The_same_schema_again_plans_nothing()
    {
        var schema = Infer(Sample);

        var plan = SchemaMigration.Plan(ListenerId, schema, Infer(Sample), sqlite);

        Assert.Empty(plan.Statements);
        Assert.Empty(plan.Losses);
    }

    [Fact]
    public void Adding_fields_only_adds_columns_and_keeps_the_rows()
    {
        var current = Infer(Sample);
        PlanAndRun(null, current);
        Execute([$"INSERT INTO \"{Physical("orders")}\" (\"id\", \"note\", \"lastModified\") VALUES (1, 'kept', '2024-01-01')"]);

        var target = Infer("""
            {"id": 1, "note": "n", "qty": 2, "paid": true, "extra": 1.5, "customer": {"city": "Oslo"},
             "items": [{"sku": "A", "weight": 3, "options": [{"code": "red"}]}],
             "payments": [{"amount": 9.5}]}
            """);
        var plan = PlanAndRun(current, target);

        Assert.Empty(plan.Losses);
        Assert.Equal(3, plan.Statements.Count);
        Assert.All(plan.Statements, s => Assert.Matches("^ALTER TABLE \"[^\"]+\" ADD COLUMN \"[^\"]+\" (INTEGER|REAL|TEXT)$", s));
        Assert.Contains($"ALTER TABLE \"{Physical("orders")}\" ADD COLUMN \"extra\" REAL", plan.Statements);
        Assert.Contains($"ALTER TABLE \"{Physical("orders")}\" ADD COLUMN \"customer_city\" TEXT", plan.Statements);
        Assert.Contains($"ALTER TABLE \"{Physical("orders_items")}\" ADD COLUMN \"weight\" INTEGER", plan.Statements);

        Assert.Contains(ColumnsOf(Physical("orders")), c => c.Name == "customer_city");
        Assert.Equal(1, Scalar($"SELECT COUNT(*) FROM \"{Physical("orders")}\" WHERE \"note\" = 'kept'"));
    }

    [Fact]
    public void Adding_a_child_table_creates_it_without_losses()
    {
        var current = Infer("""{"id": 1}""");
        PlanAndRun(null, current);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "items": [{"sku": "A"}]}"""));

        Assert.Empty(plan.Losses);
        var create = Assert.Single(plan.Statements);
        Assert.StartsWith($"CREATE TABLE \"{Physical("orders_items")}\"", create, StringComparison.Ordinal);
        Assert.Contains(Physical("orders_items"), Objects("table"));
    }

    [Fact]
    public void Removing_a_field_is_a_loss_that_names_the_column()
    {
        var current = Infer(Sample);
        PlanAndRun(null, current);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "qty": 2, "paid": true, "items": [{"options": [{"code": "red"}]}], "payments": [{"amount": 9.5}]}"""));

        Assert.True(plan.IsDestructive);
        Assert.Equal(2, plan.Losses.Count);
        Assert.Contains(plan.Losses, l => l.Contains("orders.note", StringComparison.Ordinal) && l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains(plan.Losses, l => l.Contains("orders_items.sku", StringComparison.Ordinal));
        Assert.Contains($"ALTER TABLE \"{Physical("orders")}\" DROP COLUMN \"note\"", plan.Statements);
        Assert.DoesNotContain(ColumnsOf(Physical("orders")), c => c.Name == "note");
    }

    [Fact]
    public void Changing_a_type_is_a_loss_that_names_the_column_and_both_types()
    {
        var current = Infer(Sample);
        PlanAndRun(null, current);
        var target = Infer(Sample.Replace("\"qty\": 2", "\"qty\": \"two\"", StringComparison.Ordinal));

        var plan = PlanAndRun(current, target);

        var loss = Assert.Single(plan.Losses);
        Assert.Contains("orders.qty", loss, StringComparison.Ordinal);
        Assert.Contains("Integer", loss, StringComparison.Ordinal);
        Assert.Contains("Text", loss, StringComparison.Ordinal);
        Assert.Equal(
            [$"ALTER TABLE \"{Physical("orders")}\" DROP COLUMN \"qty\"", $"ALTER TABLE \"{Physical("orders")}\" ADD COLUMN \"qty\" TEXT"],
            plan.Statements);
        Assert.Equal("TEXT", ColumnsOf(Physical("orders")).Single(c => c.Name == "qty").Type);
    }

    [Fact]
    public void A_type_change_with_the_same_storage_is_no_loss_on_sqlite_but_is_on_postgres()
    {
        var current = Infer(Sample);
        var target = Infer(Sample.Replace("\"paid\": true", "\"paid\": 1", StringComparison.Ordinal));

        var onSqlite = SchemaMigration.Plan(ListenerId, current, target, sqlite);
        var onPostgres = SchemaMigration.Plan(ListenerId, current, target, new PostgresDialect());

        Assert.Empty(onSqlite.Statements);
        Assert.Empty(onSqlite.Losses);
        var loss = Assert.Single(onPostgres.Losses);
        Assert.Contains("orders.paid", loss, StringComparison.Ordinal);
        Assert.Contains($"ALTER TABLE \"{Physical("orders")}\" ADD COLUMN \"paid\" bigint", onPostgres.Statements);
    }

    [Fact]
    public void Removing_a_child_table_is_a_loss_that_names_it_and_its_descendants()
    {
        var current = Infer(Sample);
        PlanAndRun(null, current);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "note": "n", "qty": 2, "paid": true, "payments": [{"amount": 9.5}]}"""));

        Assert.Equal(2, plan.Losses.Count);
        Assert.Contains(plan.Losses, l => l.Contains("orders_items ", StringComparison.Ordinal) && l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains(plan.Losses, l => l.Contains("orders_items_options", StringComparison.Ordinal));
        Assert.Contains($"DROP TABLE IF EXISTS \"{Physical("orders_items")}\"", plan.Statements);
        var tables = Objects("table");
        Assert.DoesNotContain(Physical("orders_items"), tables);
        Assert.DoesNotContain(Physical("orders_items_options"), tables);
        Assert.Contains(Physical("orders_payments"), tables);
        Assert.Contains(Physical("orders"), tables);
    }

    [Fact]
    public void Changing_the_primary_key_rebuilds_every_table_and_says_so()
    {
        var current = Infer("""{"id": 1, "code": "c", "items": [{"sku": "A"}]}""");
        PlanAndRun(null, current);
        Execute([$"INSERT INTO \"{Physical("orders")}\" (\"id\", \"code\", \"lastModified\") VALUES (1, 'c', '2024-01-01')"]);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "code": "c", "items": [{"sku": "A"}]}""", primaryKey: ["code"]));

        Assert.Equal(2, plan.Losses.Count);
        Assert.All(plan.Losses, l => Assert.Contains("primary key changed", l, StringComparison.Ordinal));
        Assert.Contains(plan.Losses, l => l.StartsWith("Table orders ", StringComparison.Ordinal));
        Assert.Contains(plan.Losses, l => l.StartsWith("Table orders_items ", StringComparison.Ordinal));
        Assert.Equal(1, ColumnsOf(Physical("orders")).Single(c => c.Name == "code").Pk);
        Assert.Equal(0, ColumnsOf(Physical("orders")).Single(c => c.Name == "id").Pk);
        Assert.Equal(0, Scalar($"SELECT COUNT(*) FROM \"{Physical("orders")}\""));
    }

    [Fact]
    public void Renaming_the_base_drops_the_old_tables_and_creates_the_new_ones()
    {
        var current = Infer("""{"id": 1, "items": [{"sku": "A"}]}""");
        PlanAndRun(null, current);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "items": [{"sku": "A"}]}""", baseName: "sales"));

        Assert.Equal(2, plan.Losses.Count);
        Assert.Contains(plan.Losses, l => l.Contains("orders ", StringComparison.Ordinal));
        Assert.Equal(
            new[] { Physical("sales"), Physical("sales_items") }.Order(StringComparer.Ordinal),
            Objects("table").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Payload_names_cannot_inject_sql_and_every_identifier_is_quoted()
    {
        Execute(["CREATE TABLE y (v INTEGER)", "INSERT INTO y VALUES (42)"]);
        var sample = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = 1,
            [Injection] = "v",
            ["items"] = new[] { new Dictionary<string, object> { [Injection] = 1, ["Robert'); DROP TABLE y;--"] = "b" } },
        });
        var current = Infer("""{"id": 1}""", baseName: Injection);
        var first = PlanAndRun(null, current);
        var second = PlanAndRun(current, Infer(sample, baseName: Injection));

        foreach (var statement in first.Statements.Concat(second.Statements))
        {
            Assert.DoesNotContain(Injection, statement, StringComparison.Ordinal);
            Assert.DoesNotContain("DROP TABLE y", statement, StringComparison.Ordinal);
            AssertOnlyKeywordsOutsideQuotes(statement);
        }

        Assert.Contains("y", Objects("table"));
        Assert.Equal(42, Scalar("SELECT v FROM y"));
        Assert.Contains(Physical("x_DROP_TABLE_y"), Objects("table"));
        Assert.Contains(Physical("x_DROP_TABLE_y_items"), Objects("table"));
        Assert.Contains(ColumnsOf(Physical("x_DROP_TABLE_y")), c => c.Name == "x_DROP_TABLE_y");
    }

    [Fact]
    public void Quoting_alone_keeps_a_raw_payload_name_an_identifier()
    {
        // Defence in depth: even a name that skipped sanitising stays one quoted identifier.
        Execute(["CREATE TABLE y (v INTEGER)"]);
        var table = new TableDef
        {
            Name = Injection,
            Columns = [new ColumnDef { Name = Injection, Type = ColumnType.Integer, PrimaryKey = true }],
        };
        var child = new TableDef { Name = Injection + "_c", Parent = Injection, Columns = [new ColumnDef { Name = "a\"b", Type = ColumnType.Text }] };
        var schema = new TableSchema { BaseName = Injection, Tables = [table, child] };

        var plan = PlanAndRun(null, schema);
        var next = schema with { Tables = [table with { Columns = [.. table.Columns, new ColumnDef { Name = "\"; DROP TABLE y; --", Type = ColumnType.Text }] }, child] };
        var alter = PlanAndRun(schema, next);

        Assert.Contains("y", Objects("table"));
        Assert.Contains(Physical(Injection), Objects("table"));
        Assert.Contains(Physical(Injection + "_c"), Objects("table"));
        Assert.Equal(
            new[] { Injection, "\"; DROP TABLE y; --", SystemColumns.LastModified }.Order(StringComparer.Ordinal),
            ColumnsOf(Physical(Injection)).Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Contains(ColumnsOf(Physical(Injection + "_c")), c => c.Name == "a\"b");
        Assert.Single(alter.Statements);
        Assert.All(plan.Statements.Concat(alter.Statements), AssertOnlyKeywordsOutsideQuotes);
    }

    [Fact]
    public void Physical_names_fit_postgres_and_differ_per_listener()
    {
        var longest = Infer("""{"id": 1, "items": [{"a": 1}]}""", baseName: new string('n', 100));
        var other = Guid.Parse("fedcba98-7654-4321-8765-43210fedcba9");

        foreach (var table in longest.Tables)
        {
            var physical = SqlDialect.PhysicalName(ListenerId, table.Name);
            Assert.InRange(physical.Length, 1, 63);
            Assert.EndsWith("_" + table.Name, physical, StringComparison.Ordinal);
            Assert.Matches("^l[0-9a-f]{12}_", physical);
            Assert.NotEqual(physical, SqlDialect.PhysicalName(other, table.Name));
        }

        Assert.Equal("l0123456789ab_orders", SqlDialect.PhysicalName(ListenerId, "orders"));
        Assert.NotEqual(
            SchemaMigration.Plan(ListenerId, null, longest, sqlite).Statements,
            SchemaMigration.Plan(other, null, longest, sqlite).Statements);
    }

    [Fact]
    public void Two_listeners_with_the_same_schema_get_separate_tables()
    {
        var schema = Infer(Sample);
        var other = Guid.NewGuid();

        Execute(SchemaMigration.Plan(ListenerId, null, schema, sqlite).Statements);
        Execute(SchemaMigration.Plan(other, null, schema, sqlite).Statements);

        Assert.Equal(2 * schema.Tables.Count, Objects("table").Count);
    }

    [Fact]
    public void Postgres_types_are_used_for_postgres()
    {
        var plan = SchemaMigration.Plan(ListenerId, null, Infer("""{"id": 1, "r": 1.5, "b": true, "t": "x", "at": "2024-01-02T03:04:05Z", "items": [{"a": 1}]}"""), new PostgresDialect());

        var root = plan.Statements[0];
        Assert.Contains("\"id\" bigint NOT NULL", root, StringComparison.Ordinal);
        Assert.Contains("\"r\" double precision", root, StringComparison.Ordinal);
        Assert.Contains("\"b\" boolean", root, StringComparison.Ordinal);
        Assert.Contains("\"t\" text", root, StringComparison.Ordinal);
        Assert.Contains("\"at\" text", root, StringComparison.Ordinal);
        Assert.Contains("PRIMARY KEY (\"id\")", root, StringComparison.Ordinal);
        Assert.Contains("\"_position\" bigint NOT NULL", plan.Statements[2], StringComparison.Ordinal);
        Assert.All(plan.Statements, AssertOnlyKeywordsOutsideQuotes);
    }

    /// <summary>
    /// Bug: a child table named {table}_lm or {table}_rk has the same physical name as the index created for
    /// {table}, so SQLite (and PostgreSQL, where indexes and tables share a namespace) refuse the plan.
    /// </summary>
    [Theory]
    [InlineData("""{"id": 1, "lm": [{"a": 1}]}""")]
    [InlineData("""{"id": 1, "items": [{"rk": [{"a": 1}]}]}""")]
    public void Index_names_never_collide_with_table_names(string sample)
    {
        var schema = Infer(sample);
        var plan = SchemaMigration.Plan(ListenerId, null, schema, sqlite);

        Execute(plan.Statements);
        Assert.Equal(schema.Tables.Count, Objects("table").Count);

        var created = plan.Statements.Select(s => QuotedIdentifier().Match(s))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(created.Count, created.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    /// <summary>
    /// Bug: when the key column keeps its name but changes type, the plan drops and re-adds the key column
    /// instead of rebuilding; SQLite refuses to drop a PRIMARY KEY column and PostgreSQL would silently lose
    /// the primary key (and every key value).
    /// </summary>
    [Fact]
    public void Changing_the_type_of_the_key_column_rebuilds_the_table_with_the_key_kept()
    {
        var current = Infer("""{"id": 1, "v": "a"}""");
        PlanAndRun(null, current);

        var target = Infer("""{"id": "one", "v": "a"}""");
        var plan = SchemaMigration.Plan(ListenerId, current, target, sqlite);

        Assert.True(plan.IsDestructive);
        Execute(plan.Statements);
        Assert.DoesNotContain(plan.Statements, s => s.Contains("DROP COLUMN \"id\"", StringComparison.Ordinal));
        var id = ColumnsOf(Physical("orders")).Single(c => c.Name == "id");
        Assert.Equal(1, id.Pk);
        Assert.Equal("TEXT", id.Type);
    }

    /// <summary>
    /// Bug on PostgreSQL: quoted identifiers are case-sensitive there, but the plan matches table names
    /// case-insensitively, so a case-only rename of the base plans nothing and later writes address a missing table.
    /// </summary>
    [Fact]
    public void A_case_only_table_rename_is_not_a_no_op_on_postgres()
    {
        var plan = SchemaMigration.Plan(ListenerId, Infer("""{"id": 1}""", baseName: "Orders"), Infer("""{"id": 1}""", baseName: "orders"), new PostgresDialect());

        Assert.Contains(plan.Statements, s => s.Contains($"\"{Physical("orders")}\"", StringComparison.Ordinal));
    }

    /// <summary>Bug on PostgreSQL: as above, for a column whose name changes only in case.</summary>
    [Fact]
    public void A_case_only_column_rename_is_not_a_no_op_on_postgres()
    {
        var plan = SchemaMigration.Plan(ListenerId, Infer("""{"id": 1, "Name": "a"}"""), Infer("""{"id": 1, "name": "a"}"""), new PostgresDialect());

        Assert.Contains(plan.Statements, s => s.Contains("\"name\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_case_only_rename_plans_nothing_on_sqlite_where_names_are_case_insensitive()
    {
        var current = Infer("""{"id": 1, "Name": "a"}""", baseName: "Orders");
        PlanAndRun(null, current);

        var plan = PlanAndRun(current, Infer("""{"id": 1, "name": "a"}"""));

        Assert.Empty(plan.Statements);
        Assert.Empty(plan.Losses);
        Assert.Equal(0, Scalar($"SELECT COUNT(\"name\") FROM \"{Physical("orders")}\""));
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "CREATE", "TABLE", "INDEX", "ON", "ALTER", "ADD", "COLUMN", "DROP", "IF", "EXISTS", "PRIMARY", "KEY", "NOT", "NULL",
        "INTEGER", "REAL", "TEXT", "bigint", "double", "precision", "boolean", "text",
    };

    private static void AssertOnlyKeywordsOutsideQuotes(string statement)
    {
        var outside = AnyQuotedIdentifier().Replace(statement, " ");
        Assert.DoesNotContain("\"", outside, StringComparison.Ordinal);
        Assert.DoesNotContain(";", outside, StringComparison.Ordinal);
        Assert.DoesNotContain("--", outside, StringComparison.Ordinal);
        foreach (var word in outside.Split([' ', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(Keywords.Contains(word), $"'{word}' appears unquoted in: {statement}");
        }
    }

    [GeneratedRegex("\"(?:[^\"]|\"\")*\"")]
    private static partial Regex AnyQuotedIdentifier();

    [GeneratedRegex("^CREATE (?:TABLE|INDEX) \"((?:[^\"]|\"\")*)\"")]
    private static partial Regex QuotedIdentifier();
}
