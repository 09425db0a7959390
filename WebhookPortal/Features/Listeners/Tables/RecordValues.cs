using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Conversions between JSON values, column values and the records API's JSON: one place, so what the
/// writer stores and what the reader answers stay symmetric (422 when a value does not fit its column).
/// </summary>
public static class RecordValues
{
    /// <summary>The canonical text of a root key, stored on every child row.</summary>
    public static string RootKeyText(IReadOnlyList<object?> key) => JsonSerializer.Serialize(key);

    /// <summary>The column value of a JSON value; false when it does not fit the column (the caller names the field).</summary>
    internal static bool TryConvertJson(ColumnDef column, JsonElement value, out object? converted)
    {
        converted = null;
        if (column.Json)
        {
            converted = value.GetRawText();
            return true;
        }

        switch (column.Type)
        {
            case ColumnType.Integer when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l):
                converted = l;
                return true;
            // 1e400 parses as infinity, which no JSON answer can carry back: out of range is a wrong value.
            case ColumnType.Real when value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()):
                converted = value.GetDouble();
                return true;
            case ColumnType.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                converted = value.GetBoolean();
                return true;
            case ColumnType.Timestamp when value.ValueKind == JsonValueKind.String && TryTimestamp(value.GetString()!, out var ts):
                converted = ts;
                return true;
            case ColumnType.Text when value.ValueKind == JsonValueKind.String:
                converted = value.GetString();
                return true;
            case ColumnType.Text when value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                converted = value.GetRawText();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The 422 for a value that does not fit its column.</summary>
    internal static RecordValidationException WrongValue(ColumnDef column, JsonElement value, string field) =>
        new(field, $"The field '{field}' must be {Describe(column.Type)}, not {Describe(value)}.");

    /// <summary>A key value given as text (the URL of a DELETE), typed as its column.</summary>
    internal static object? ConvertText(ColumnDef column, string text)
    {
        switch (column.Type)
        {
            case ColumnType.Integer when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l):
                return l;
            case ColumnType.Real when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d):
                return d;
            case ColumnType.Boolean when bool.TryParse(text, out var b):
                return b;
            case ColumnType.Timestamp when TryTimestamp(text, out var ts):
                return ts;
            case ColumnType.Text:
                return text;
            default:
                throw new RecordValidationException(column.Name, $"The key field '{column.Name}' must be {Describe(column.Type)}.");
        }
    }

    /// <summary>A key value as read back from the database, typed as it was written (so its root key text matches).</summary>
    internal static object? NormalizeKey(ColumnDef column, object? value) => column.Type switch
    {
        ColumnType.Integer => value is null ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ColumnType.Real => value is null ? null : Convert.ToDouble(value, CultureInfo.InvariantCulture),
        ColumnType.Boolean => value is null ? null : Convert.ToBoolean(value, CultureInfo.InvariantCulture),
        _ => value?.ToString(),
    };

    /// <summary>A column value as the records API answers it.</summary>
    internal static JsonNode? ToNode(ColumnDef column, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (column.Json)
        {
            return JsonNode.Parse(value.ToString()!);
        }

        return column.Type switch
        {
            ColumnType.Integer => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            ColumnType.Real => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            ColumnType.Boolean => JsonValue.Create(Convert.ToBoolean(value, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(value.ToString()),
        };
    }

    /// <summary>The value at a property path of a record; false when a segment is missing or not an object.</summary>
    internal static bool TryGetPath(JsonElement record, IReadOnlyList<string> path, out JsonElement value)
    {
        value = record;
        foreach (var segment in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(segment, out value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryTimestamp(string text, out string normalized)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            normalized = parsed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            return true;
        }

        normalized = "";
        return false;
    }

    private static string Describe(ColumnType type) => type switch
    {
        ColumnType.Integer => "an integer",
        ColumnType.Real => "a number",
        ColumnType.Boolean => "true or false",
        ColumnType.Timestamp => "an ISO 8601 date-time string",
        _ => "a string",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };
}
