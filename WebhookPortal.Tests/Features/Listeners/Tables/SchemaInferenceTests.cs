using System.Text.Json;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

public sealed class SchemaInferenceTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static TableSchema Infer(string json, string? baseName = "orders", string? rootPath = null, IReadOnlyList<string>? primaryKey = null) =>
        SchemaInference.Infer(Json(json), baseName, rootPath, primaryKey);

    private static ColumnDef Column(TableDef table, string name) =>
        Assert.Single(table.Columns, c => c.Name == name);

    private static TableDef Table(TableSchema schema, string name) =>
        Assert.Single(schema.Tables, t => t.Name == name);

    [Fact]
    public void Nested_objects_flatten_into_prefixed_columns_with_their_source_path()
    {
        var schema = Infer("""{"id": 1, "customer": {"name": "Ann", "address": {"city": "Oslo"}}}""");

        var root = Assert.Single(schema.Tables);
        Assert.Equal("orders", root.Name);
        Assert.Null(root.Parent);
        Assert.Equal(["id", "customer_name", "customer_address_city"], root.Columns.Select(c => c.Name));
        Assert.Equal(["customer", "name"], Column(root, "customer_name").Source);
        Assert.Equal(["customer", "address", "city"], Column(root, "customer_address_city").Source);
        Assert.Equal(ColumnType.Text, Column(root, "customer_address_city").Type);
        Assert.DoesNotContain(root.Columns, c => c.Name == "customer");
    }

    [Fact]
    public void Arrays_of_scalars_become_json_text_columns()
    {
        var schema = Infer("""{"id": 1, "tags": ["a", "b"], "scores": [1, 2.5]}""");

        var tags = Column(schema.Root, "tags");
        Assert.Equal(ColumnType.Text, tags.Type);
        Assert.True(tags.Json);
        Assert.Equal(["tags"], tags.Source);
        Assert.True(Column(schema.Root, "scores").Json);
        Assert.False(Column(schema.Root, "id").Json);
        Assert.Single(schema.Tables);
    }

    [Fact]
    public void Empty_arrays_become_json_text_columns()
    {
        var schema = Infer("""{"id": 1, "notes": []}""");

        var notes = Column(schema.Root, "notes");
        Assert.Equal(ColumnType.Text, notes.Type);
        Assert.True(notes.Json);
        Assert.Single(schema.Tables);
    }

    [Fact]
    public void Arrays_of_objects_become_child_tables_recursively_with_parents_first()
    {
        var schema = Infer("""
            {"id": 1,
             "items": [{"sku": "A", "qty": 2, "options": [{"code": "red", "extra": 1.5}]},
                       {"sku": "B", "qty": 1}],
             "payments": [{"amount": 9.5}]}
            """);

        Assert.Equal(["orders", "orders_items", "orders_items_options", "orders_payments"], schema.Tables.Select(t => t.Name));

        var items = Table(schema, "orders_items");
        Assert.Equal("orders", items.Parent);
        Assert.Equal(["items"], items.Source);
        Assert.Equal(["sku", "qty"], items.Columns.Select(c => c.Name));
        Assert.Equal(ColumnType.Integer, Column(items, "qty").Type);

        var options = Table(schema, "orders_items_options");
        Assert.Equal("orders_items", options.Parent);
        Assert.Equal(["options"], options.Source);
        Assert.Equal(["code", "extra"], options.Columns.Select(c => c.Name));
        Assert.Equal(ColumnType.Real, Column(options, "extra").Type);

        Assert.Equal("orders", Table(schema, "orders_payments").Parent);

        // The root keeps no column for an array of objects.
        Assert.DoesNotContain(schema.Root.Columns, c => c.Name is "items" or "payments");
        Assert.Equal(["orders_items", "orders_payments"], schema.ChildrenOf("orders").Select(t => t.Name));

        // Every table's parent appears before it.
        for (var i = 0; i < schema.Tables.Count; i++)
        {
            var parent = schema.Tables[i].Parent;
            if (parent is not null)
            {
                Assert.True(schema.Tables.Take(i).Any(t => t.Name == parent), $"{schema.Tables[i].Name} comes before its parent {parent}.");
            }
        }
    }

    [Fact]
    public void An_array_of_objects_inside_a_nested_object_is_a_child_table_with_the_full_source_path()
    {
        var schema = Infer("""{"id": 1, "order": {"lines": [{"sku": "A"}]}}""");

        var lines = Table(schema, "orders_order_lines");
        Assert.Equal("orders", lines.Parent);
        Assert.Equal(["order", "lines"], lines.Source);
    }

    [Fact]
    public void Child_table_columns_merge_the_rows_of_every_record()
    {
        var schema = Infer("""[{"id": 1, "items": [{"sku": "A"}]}, {"id": 2, "items": [{"qty": 3}, {"sku": "C", "qty": 1.5}]}]""");

        var items = Table(schema, "orders_items");
        Assert.Equal(["sku", "qty"], items.Columns.Select(c => c.Name));
        Assert.Equal(ColumnType.Real, Column(items, "qty").Type);
    }

    [Fact]
    public void Nulls_alone_are_text_and_null_with_a_number_is_that_number_type()
    {
        var schema = Infer("""[{"a": null, "b": null, "c": 1.5}, {"a": null, "b": 7, "c": null}]""");

        Assert.Equal(ColumnType.Text, Column(schema.Root, "a").Type);
        Assert.Equal(ColumnType.Integer, Column(schema.Root, "b").Type);
        Assert.Equal(ColumnType.Real, Column(schema.Root, "c").Type);
    }

    [Fact]
    public void Mixed_integer_and_real_widen_to_real_in_either_order()
    {
        var schema = Infer("""[{"a": 1, "b": 2.5}, {"a": 2.25, "b": 3}]""");

        Assert.Equal(ColumnType.Real, Column(schema.Root, "a").Type);
        Assert.Equal(ColumnType.Real, Column(schema.Root, "b").Type);
    }

    [Fact]
    public void Integers_beyond_int64_are_real()
    {
        var schema = Infer("""{"big": 99999999999999999999, "small": 9223372036854775807}""");

        Assert.Equal(ColumnType.Real, Column(schema.Root, "big").Type);
        Assert.Equal(ColumnType.Integer, Column(schema.Root, "small").Type);
    }

    [Fact]
    public void Conflicting_kinds_become_text()
    {
        var schema = Infer("""
            [{"n": 1, "b": true, "t": "2024-01-02T03:04:05Z", "r": 1.5},
             {"n": "one", "b": 0, "t": 5, "r": "x"}]
            """);

        Assert.Equal(ColumnType.Text, Column(schema.Root, "n").Type);
        Assert.Equal(ColumnType.Text, Column(schema.Root, "b").Type);
        Assert.Equal(ColumnType.Text, Column(schema.Root, "t").Type);
        Assert.Equal(ColumnType.Text, Column(schema.Root, "r").Type);
    }

    [Fact]
    public void Booleans_are_boolean_columns()
    {
        var schema = Infer("""[{"paid": true, "gift": false}, {"paid": false, "gift": null}]""");

        Assert.Equal(ColumnType.Boolean, Column(schema.Root, "paid").Type);
        Assert.Equal(ColumnType.Boolean, Column(schema.Root, "gift").Type);
    }

    [Theory]
    [InlineData("2024-01-02T03:04:05Z")]
    [InlineData("2024-01-02T03:04:05.1234567+02:00")]
    [InlineData("2024-01-02 03:04")]
    [InlineData("2024-01-02T03:04:05-0500")]
    [InlineData("2024-01-02T03:04:05.5")]
    public void Iso_date_times_are_timestamps(string value)
    {
        Assert.True(SchemaInference.IsTimestamp(value));
        var schema = Infer(JsonSerializer.Serialize(new { at = value }));
        Assert.Equal(ColumnType.Timestamp, Column(schema.Root, "at").Type);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("2024-01-02")]
    [InlineData("2024-13-45T25:61:00Z")]
    [InlineData("2024-02-30T10:00:00Z")]
    [InlineData("02/01/2024 10:00")]
    [InlineData("yesterday")]
    [InlineData("2024-01-02T03:04:05Z and more")]
    [InlineData("12345")]
    public void Plain_strings_and_date_like_garbage_stay_text(string value)
    {
        Assert.False(SchemaInference.IsTimestamp(value));
        var schema = Infer(JsonSerializer.Serialize(new { at = value }));
        Assert.Equal(ColumnType.Text, Column(schema.Root, "at").Type);
    }

    [Fact]
    public void A_timestamp_column_seeing_a_plain_string_becomes_text()
    {
        var schema = Infer("""[{"at": "2024-01-02T03:04:05Z"}, {"at": "soon"}]""");

        Assert.Equal(ColumnType.Text, Column(schema.Root, "at").Type);
    }

    [Fact]
    public void TypeOf_maps_json_kinds()
    {
        Assert.Equal(ColumnType.Integer, SchemaInference.TypeOf(Json("42")));
        Assert.Equal(ColumnType.Real, SchemaInference.TypeOf(Json("4.2")));
        Assert.Equal(ColumnType.Boolean, SchemaInference.TypeOf(Json("false")));
        Assert.Equal(ColumnType.Text, SchemaInference.TypeOf(Json("\"x\"")));
        Assert.Equal(ColumnType.Timestamp, SchemaInference.TypeOf(Json("\"2024-01-02T03:04:05Z\"")));
        Assert.Null(SchemaInference.TypeOf(Json("null")));
    }

    [Fact]
    public void Five_levels_of_nested_objects_flatten_into_one_column()
    {
        var schema = Infer("""{"a": {"b": {"c": {"d": {"e": {"leaf": 3}}}}}, "id": 1}""");

        var leaf = Column(schema.Root, "a_b_c_d_e_leaf");
        Assert.Equal(["a", "b", "c", "d", "e", "leaf"], leaf.Source);
        Assert.Equal(ColumnType.Integer, leaf.Type);
        Assert.Equal(2, schema.Root.Columns.Count);
        Assert.Single(schema.Tables);
    }

    [Fact]
    public void An_array_of_records_gives_the_union_of_their_columns()
    {
        var schema = Infer("""
            [{"id": 1, "name": "a"},
             {"id": 2, "email": "b@example.com"},
             {"id": 3, "address": {"zip": "0150"}, "name": "c"}]
            """);

        Assert.Equal(["id", "name", "email", "address_zip"], schema.Root.Columns.Select(c => c.Name));
        Assert.All(schema.Root.Columns, c => Assert.False(c.PrimaryKey));
    }

    [Fact]
    public void Non_object_items_in_a_record_array_are_ignored()
    {
        var schema = Infer("""[1, "x", {"id": 1}, null]""");

        Assert.Equal(["id"], schema.Root.Columns.Select(c => c.Name));
    }

    [Fact]
    public void The_root_path_selects_the_records()
    {
        var schema = Infer("""{"meta": {"page": 1}, "data": {"items": [{"id": 1, "v": "x"}, {"id": 2, "w": true}]}}""", rootPath: " data.items ");

        Assert.Equal("data.items", schema.RootPath);
        Assert.Equal(["id", "v", "w"], schema.Root.Columns.Select(c => c.Name));
        Assert.DoesNotContain(schema.Root.Columns, c => c.Name.StartsWith("meta", StringComparison.Ordinal));
    }

    [Fact]
    public void A_blank_root_path_is_stored_as_null()
    {
        Assert.Null(Infer("""{"id": 1}""", rootPath: "  ").RootPath);
    }

    [Theory]
    [InlineData("data.missing")]
    [InlineData("nothing")]
    [InlineData("data.items.id")]
    public void A_missing_root_path_is_unprocessable(string rootPath)
    {
        var error = Assert.Throws<UnprocessableException>(() => Infer("""{"data": {"items": [{"id": 1}]}}""", rootPath: rootPath));

        Assert.Contains(rootPath, error.Message);
        Assert.Equal(422, error.StatusCode);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void A_scalar_at_the_root_is_unprocessable(string json)
    {
        Assert.Throws<UnprocessableException>(() => Infer(json));
    }

    [Fact]
    public void A_scalar_at_the_root_path_is_unprocessable()
    {
        Assert.Throws<UnprocessableException>(() => Infer("""{"data": 5}""", rootPath: "data"));
    }

    [Fact]
    public void An_empty_record_array_is_invalid()
    {
        var error = Assert.Throws<PortalValidationException>(() => Infer("[]"));

        Assert.True(error.Errors.ContainsKey("sample"));
    }

    [Fact]
    public void RecordsAt_returns_one_record_for_an_object_and_every_item_for_an_array()
    {
        Assert.Single(SchemaInference.RecordsAt(Json("""{"a": 1}"""), null, "body"));
        Assert.Equal(3, SchemaInference.RecordsAt(Json("""{"x": {"y": [{}, {}, {}]}}"""), "x.y", "body").Count);
        var error = Assert.Throws<UnprocessableException>(() => SchemaInference.RecordsAt(Json("""{"x": 1}"""), "x.y", "body"));
        Assert.Contains("body", error.Message);
    }

    [Fact]
    public void A_sql_injection_name_is_sanitised_into_a_plain_identifier()
    {
        var schema = Infer("""{"id": 1, "x\"; DROP TABLE y; --": "v"}""", baseName: "t\"; DROP TABLE y; --");

        var column = schema.Root.Columns[1];
        Assert.Equal("x_DROP_TABLE_y", column.Name);
        Assert.Equal(["x\"; DROP TABLE y; --"], column.Source);
        Assert.Equal("t_DROP_TABLE_y", schema.BaseName);
        Assert.Equal("t_DROP_TABLE_y", schema.Root.Name);
        Assert.All(schema.Tables.SelectMany(t => t.Columns.Select(c => c.Name)).Append(schema.Root.Name), AssertPlainIdentifier);
    }

    [Fact]
    public void Spaces_dashes_and_unicode_become_underscores()
    {
        var schema = Infer("""{"first name": 1, "last-name": 2, "café au lait": 3, "名前": 4, "  padded  ": 5, "a..b": 6, "ünïcode": 7}""");

        Assert.Equal(["first_name", "last_name", "caf_au_lait", "field", "padded", "a_b", "n_code"], schema.Root.Columns.Select(c => c.Name));
        Assert.Equal(["名前"], schema.Root.Columns[3].Source);
        Assert.All(schema.Root.Columns, c => AssertPlainIdentifier(c.Name));
    }

    [Fact]
    public void Names_starting_with_digits_are_prefixed()
    {
        var schema = Infer("""{"1st": 1, "2024-total": 2, "9": 3}""");

        Assert.Equal(["f_1st", "f_2024_total", "f_9"], schema.Root.Columns.Select(c => c.Name));
    }

    [Fact]
    public void Names_that_sanitise_alike_get_distinct_columns()
    {
        var schema = Infer("""{"a-b": 1, "a_b": "x", "a b": true, "A_B": 2.5, "日本": 1, "中国": 2}""");

        Assert.Equal(["a_b", "a_b_2", "a_b_3", "A_B_4", "field", "field_2"], schema.Root.Columns.Select(c => c.Name));
        Assert.Equal(["a-b"], schema.Root.Columns[0].Source);
        Assert.Equal(["a_b"], schema.Root.Columns[1].Source);
        Assert.Equal(ColumnType.Text, schema.Root.Columns[1].Type);
        Assert.Equal(ColumnType.Boolean, schema.Root.Columns[2].Type);
        Assert.Equal(schema.Root.Columns.Count, schema.Root.Columns.Select(c => c.Name.ToUpperInvariant()).Distinct().Count());
    }

    [Fact]
    public void Reserved_names_are_renamed()
    {
        var schema = Infer("""{"id": 1, "lastModified": "x", "_root_key": "y", "LASTMODIFIED": 3}""");

        var names = schema.Root.Columns.Select(c => c.Name).ToList();
        Assert.Equal(4, names.Count);
        Assert.DoesNotContain(names, n => n.Equals(SystemColumns.LastModified, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(SystemColumns.RootKey, names);
        Assert.Equal("f_lastModified", names[1]);
        Assert.Equal(["lastModified"], schema.Root.Columns[1].Source);
        Assert.Equal(["_root_key"], schema.Root.Columns[2].Source);
    }

    [Fact]
    public void Child_tables_do_not_reuse_their_system_column_names()
    {
        var schema = Infer("""{"id": 1, "items": [{"_root_key": 1, "_parent_position": 2, "_position": 3, "lastModified": 4}]}""");

        var items = Table(schema, "orders_items");
        Assert.Equal(4, items.Columns.Count);
        Assert.All(items.Columns, c => Assert.False(
            c.Name is SystemColumns.RootKey or SystemColumns.ParentPosition or SystemColumns.Position,
            $"{c.Name} is a system column of child tables."));
        Assert.Equal(items.Columns.Count, items.Columns.Select(c => c.Name.ToUpperInvariant()).Distinct().Count());
    }

    [Fact]
    public void Very_long_names_are_truncated_and_stay_unique()
    {
        var prefix = new string('a', 60);
        var schema = Infer(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            [prefix + "1"] = 1,
            [prefix + "2"] = 2,
            [prefix + "3"] = 3,
            ["nested"] = new Dictionary<string, object> { [new string('b', 70)] = 1 },
        }));

        var names = schema.Root.Columns.Select(c => c.Name).ToList();
        Assert.Equal(4, names.Count);
        Assert.All(names, n => Assert.InRange(n.Length, 1, SchemaInference.MaxIdentifierLength));
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(new string('a', 48), names[0]);
        Assert.Equal(48, SchemaInference.MaxIdentifierLength);
    }

    [Fact]
    public void Long_child_table_names_are_truncated_and_stay_unique()
    {
        var longBase = new string('t', 60);
        var schema = Infer("""{"id": 1, "items": [{"a": 1}], "lines": [{"b": 2}], "x": [{"sub": [{"c": 3}]}]}""", baseName: longBase);

        var names = schema.Tables.Select(t => t.Name).ToList();
        Assert.Equal(5, names.Count);
        Assert.All(names, n => Assert.InRange(n.Length, 1, SchemaInference.MaxIdentifierLength));
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(new string('t', 48), schema.BaseName);
    }

    [Fact]
    public void SanitizeIdentifier_rules()
    {
        Assert.Equal("abc_1", SchemaInference.SanitizeIdentifier("abc_1"));
        Assert.Equal("a_b", SchemaInference.SanitizeIdentifier("__a---b__"));
        Assert.Equal("field", SchemaInference.SanitizeIdentifier(""));
        Assert.Equal("field", SchemaInference.SanitizeIdentifier("\"';--"));
        Assert.Equal("f_1a", SchemaInference.SanitizeIdentifier("1a"));
        Assert.Equal(48, SchemaInference.SanitizeIdentifier("9" + new string('z', 100)).Length);
        Assert.StartsWith("f_9", SchemaInference.SanitizeIdentifier("9" + new string('z', 100)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_primary_key_marks_the_named_root_columns()
    {
        var schema = Infer("""{"tenant": "a", "id": 1, "customer": {"id": 7}, "items": [{"id": 3}]}""", primaryKey: ["tenant", "customer_id"]);

        Assert.Equal(["tenant", "customer_id"], schema.KeyColumns.Select(c => c.Name));
        Assert.False(Column(schema.Root, "id").PrimaryKey);
        Assert.All(schema.Tables.Skip(1).SelectMany(t => t.Columns), c => Assert.False(c.PrimaryKey));
    }

    [Fact]
    public void Without_a_primary_key_no_column_is_a_key()
    {
        Assert.Empty(Infer("""{"id": 1}""").KeyColumns);
        Assert.Empty(Infer("""{"id": 1}""", primaryKey: []).KeyColumns);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("items")]
    [InlineData("customer")]
    public void An_unknown_primary_key_column_is_invalid(string key)
    {
        var error = Assert.Throws<PortalValidationException>(() =>
            Infer("""{"id": 1, "customer": {"id": 7}, "items": [{"id": 3}]}""", primaryKey: [key]));

        Assert.True(error.Errors.ContainsKey("primaryKey"));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("Orders 2024!", "Orders_2024")]
    [InlineData("  shop-orders  ", "shop_orders")]
    [InlineData("2024", "f_2024")]
    [InlineData(null, "records")]
    [InlineData("   ", "records")]
    [InlineData("ü", "field")]
    public void The_base_name_is_sanitised(string? baseName, string expected)
    {
        var schema = Infer("""{"id": 1, "items": [{"a": 1}]}""", baseName: baseName);

        Assert.Equal(expected, schema.BaseName);
        Assert.Equal(expected, schema.Root.Name);
        Assert.Equal(expected + "_items", schema.Tables[1].Name);
    }

    [Fact]
    public void The_schema_round_trips_through_json()
    {
        var schema = Infer("""{"id": 1, "tags": ["x"], "items": [{"at": "2024-01-02T03:04:05Z"}]}""", primaryKey: ["id"]);

        var copy = JsonSerializer.Deserialize<TableSchema>(JsonSerializer.Serialize(schema))!;

        Assert.Equal(schema.BaseName, copy.BaseName);
        Assert.Equal(schema.Tables.Count, copy.Tables.Count);
        Assert.Equal(ColumnType.Timestamp, copy.Tables[1].Columns[0].Type);
        Assert.True(copy.Root.Columns[1].Json);
        Assert.Equal(["id"], copy.KeyColumns.Select(c => c.Name));
        Assert.Contains("\"Timestamp\"", JsonSerializer.Serialize(schema), StringComparison.Ordinal);
    }

    /// <summary>
    /// A field that is null in one sample record and an object (or array of objects) in another must not
    /// leave a Text column at that path: the records that carry the object could not be stored in it.
    /// </summary>
    [Fact]
    public void A_field_null_in_one_record_and_structured_in_another_gets_no_scalar_column()
    {
        var schema = Infer("""
            [{"id": 1, "customer": null, "items": null},
             {"id": 2, "customer": {"city": "Oslo"}, "items": [{"sku": "A"}]}]
            """);

        Assert.Equal(["orders", "orders_items"], schema.Tables.Select(t => t.Name));
        Assert.Contains(schema.Root.Columns, c => c.Name == "customer_city");
        Assert.DoesNotContain(schema.Root.Columns, c => c.Name == "customer");
        Assert.DoesNotContain(schema.Root.Columns, c => c.Name == "items");
    }

    private static void AssertPlainIdentifier(string name)
    {
        Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", name);
        Assert.InRange(name.Length, 1, SchemaInference.MaxIdentifierLength);
    }
}
