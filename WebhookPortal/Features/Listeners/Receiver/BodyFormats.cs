using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>The bodies a listener takes: JSON, and forms, which become a flat JSON object (a repeated key becomes an array).</summary>
public static class BodyFormats
{
    public static readonly string[] Accepted = ["application/json", "application/*+json", "application/x-www-form-urlencoded"];

    public static bool IsAccepted(string? contentType) => IsJson(contentType) || IsForm(contentType);

    public static bool IsJson(string? contentType) => MediaType(contentType) is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    public static bool IsForm(string? contentType) => MediaType(contentType) is { } type && type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>a=1&amp;b=x+y&amp;a=2</c> → <c>{"a":["1","2"],"b":"x y"}</c>; values stay strings, as the form sent them.</summary>
    public static byte[] FormToJson(byte[] form)
    {
        var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(form));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, values) in fields)
            {
                if (values.Count == 1)
                {
                    json.WriteString(name, values[0]);
                    continue;
                }

                json.WriteStartArray(name);
                foreach (var value in values)
                {
                    json.WriteStringValue(value);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string? MediaType(string? contentType) => string.IsNullOrEmpty(contentType) ? null : contentType.Split(';')[0].Trim();
}
