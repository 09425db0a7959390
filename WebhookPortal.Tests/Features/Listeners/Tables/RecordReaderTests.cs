using System.Text.Json;
using System.Text.Json.Nodes;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

/// <summary>Pages of records in the records API's shape, as <see cref="RecordReader"/> reads them.</summary>
public class RecordReaderTests : RecordTableTests
{
    [Fact]
    public async Task ReadPage_returns_typed_values_and_nested_children()
    {
        var store = Create();
        await Upsert(store, Sample);

        var record = await Single(store);

        Assert.Equal(JsonValueKind.Number, record["id"]!.GetValueKind());
        Assert.Equal(1L, (long)record["id"]!);
        Assert.Equal(JsonValueKind.Number, record["qty"]!.GetValueKind());
        Assert.Equal(2L, (long)record["qty"]!);
        Assert.Equal(JsonValueKind.Number, record["price"]!.GetValueKind());
        Assert.Equal(1.5, (double)record["price"]!);
        Assert.Equal(JsonValueKind.True, record["paid"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, record["name"]!.GetValueKind());
        Assert.Equal("2024-01-02T03:04:05.0000000Z", (string?)record["at"]);
        Assert.Equal("Oslo", (string?)record["customer_city"]);
        Assert.True(record.ContainsKey("note"));
        Assert.Null(record["note"]);
        Assert.Equal(T1, (string?)record[SystemColumns.LastModified]);

        var tags = Assert.IsType<JsonArray>(record["tags"]);
        Assert.Equal(["x", "y"], tags.Select(t => (string?)t));

        var items = Assert.IsType<JsonArray>(record["items"]);
        var item = Assert.IsType<JsonObject>(Assert.Single(items));
        Assert.Equal("A", (string?)item["sku"]);
        Assert.Equal(JsonValueKind.Number, item["qty"]!.GetValueKind());
        Assert.Equal(["red", "blue"], item["options"]!.AsArray().Select(o => (string?)o!["code"]));
        Assert.False(item.ContainsKey(SystemColumns.RootKey));
        Assert.False(item.ContainsKey(SystemColumns.Position));

        var lineItems = Assert.IsType<JsonArray>(record["line-items"]);
        Assert.Equal(1L, (long)lineItems.Single()!["n"]!);
    }


    [Fact]
    public async Task ReadPage_pages_newest_first_and_keeps_children_with_their_parents()
    {
        var store = Create();
        await Upsert(store, """{"id": 1, "paid": false, "items": [{"sku": "one", "options": [{"code": "1a"}]}]}""", T1);
        await Upsert(store, """{"id": 2, "items": [{"sku": "two-a", "options": [{"code": "2a"}]}, {"sku": "two-b", "options": [{"code": "2b1"}, {"code": "2b2"}]}]}""", T3);
        await Upsert(store, """{"id": 3}""", T2);

        var (total, first) = await store.Reader.ReadPageAsync(1, 2, Ct);
        var (_, second) = await store.Reader.ReadPageAsync(2, 2, Ct);
        var (_, beyond) = await store.Reader.ReadPageAsync(3, 2, Ct);

        Assert.Equal(3, total);
        Assert.Equal([2L, 3L], first.Select(i => (long)i["id"]!));
        Assert.Equal([1L], second.Select(i => (long)i["id"]!));
        Assert.Empty(beyond);
        Assert.Equal(["two-a", "two-b"], Skus(first[0]));
        Assert.Equal(["2a"], first[0]["items"]![0]!["options"]!.AsArray().Select(o => (string?)o!["code"]));
        Assert.Equal(["2b1", "2b2"], first[0]["items"]![1]!["options"]!.AsArray().Select(o => (string?)o!["code"]));
        Assert.Empty(first[1]["items"]!.AsArray());
        Assert.Equal(["1a"], second[0]["items"]![0]!["options"]!.AsArray().Select(o => (string?)o!["code"]));
        Assert.Equal(JsonValueKind.False, second[0]["paid"]!.GetValueKind());
    }
}

/// <summary>Every reader test again with one command cache shared by all writes and reads, as in a receiver batch.</summary>
public sealed class RecordReaderWithCommandCacheTests : RecordReaderTests
{
    private readonly CommandCache commands = new();

    protected override CommandCache? Commands => commands;
}
