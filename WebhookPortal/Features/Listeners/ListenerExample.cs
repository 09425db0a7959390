using System.Text.Json;
using System.Text.Json.Nodes;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// The body of a listener's example request (the editor's <c>curl</c>): its own sample, with the records at the
/// tables' root path cut to the first one, so a copied example is accepted by the listener as configured.
/// </summary>
public static class ListenerExample
{
    /// <summary>What is sent when the listener has no tables yet (it answers with what is missing).</summary>
    public const string Fallback = """{"id":1}""";

    public static string Body(string? sampleJson, string? rootPath)
    {
        if (string.IsNullOrWhiteSpace(sampleJson))
        {
            return Fallback;
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(sampleJson);
        }
        catch (JsonException)
        {
            return Fallback;
        }

        if (root is null)
        {
            return Fallback;
        }

        // Walk to the records (e.g. data.orders) and keep one: enough to show the shape, short enough to copy.
        JsonNode? parent = null;
        string? key = null;
        var node = root;
        foreach (var segment in (rootPath ?? "").Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(segment, out var next) || next is null)
            {
                return root.ToJsonString();
            }

            parent = node;
            key = segment;
            node = next;
        }

        if (node is JsonArray { Count: > 1 } records)
        {
            var first = records[0]?.DeepClone();
            var one = new JsonArray(first);
            if (parent is JsonObject holder && key is not null)
            {
                holder[key] = one;
            }
            else
            {
                root = one;
            }
        }

        return root.ToJsonString();
    }
}
