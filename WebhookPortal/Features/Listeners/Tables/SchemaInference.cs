using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Sample JSON → tables. Pure: no database. Nested objects flatten into prefixed columns, arrays of
/// objects become child tables (recursively), arrays of scalars are JSON text; types are inferred
/// from every value seen (numbers widen integer → real, anything else conflicting becomes text).
/// </summary>
public static partial class SchemaInference
{
    public const int MaxIdentifierLength = 48;

    public static TableSchema Infer(JsonElement sample, string? baseName, string? rootPath, IReadOnlyList<string>? primaryKey = null, SchemaLimits? limits = null)
    {
        limits ??= SchemaLimits.Default;
        var name = SanitizeIdentifier(string.IsNullOrWhiteSpace(baseName) ? "records" : baseName.Trim());
        var records = RecordsAt(sample, rootPath, "sample");
        if (records.Count == 0)
        {
            throw new PortalValidationException("sample", "The sample has no record at the root path.");
        }

        var tables = new List<TableDef>();
        BuildTable(name, parent: null, source: [], records, tables, new HashSet<string>(StringComparer.OrdinalIgnoreCase) { name }, isRoot: true, depth: 1, limits);
        var root = tables[0];

        if (primaryKey is { Count: > 0 })
        {
            var columns = root.Columns.ToList();
            foreach (var key in primaryKey)
            {
                var index = columns.FindIndex(c => c.Name == key);
                if (index < 0)
                {
                    throw new PortalValidationException("primaryKey", $"'{key}' is not a column of the root table {name}.");
                }

                columns[index] = columns[index] with { PrimaryKey = true };
            }

            tables[0] = root with { Columns = columns };
        }

        return new TableSchema { BaseName = name, RootPath = string.IsNullOrWhiteSpace(rootPath) ? null : rootPath.Trim(), Tables = tables };
    }

    /// <summary>The records after the root path: an object is one record, an array many.</summary>
    public static List<JsonElement> RecordsAt(JsonElement document, string? rootPath, string field)
    {
        var node = document;
        if (!string.IsNullOrWhiteSpace(rootPath))
        {
            foreach (var segment in rootPath.Trim().Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(segment, out node))
                {
                    throw new UnprocessableException($"The root path '{rootPath}' does not exist in the {field} (no '{segment}').");
                }
            }
        }

        return node.ValueKind switch
        {
            JsonValueKind.Object => [node],
            JsonValueKind.Array => node.EnumerateArray().ToList(),
            _ => throw new UnprocessableException($"The {field} at the root path must be an object or an array of objects."),
        };
    }

    /// <summary>Adds the table, then its child tables (parents always come before their children).</summary>
    private static void BuildTable(string name, string? parent, IReadOnlyList<string> source, IReadOnlyList<JsonElement> records, List<TableDef> tables, HashSet<string> tableNames, bool isRoot, int depth, SchemaLimits limits)
    {
        if (tables.Count >= limits.MaxTables)
        {
            throw new SchemaLimitException($"The sample would make more than {limits.MaxTables} tables (Listeners:MaxTables); '{string.Join(".", source)}' is one too many. Pick a deeper root path or a smaller sample.");
        }

        var columns = new List<ColumnBuilder>();
        var children = new List<(string Field, List<string> Path, List<JsonElement> Rows, int Depth)>();

        foreach (var record in records)
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            Collect(record, [], columns, children, depth, limits, name);
        }

        // A field seen as null in one record and as an object or an array of objects in another is structure, not a value.
        columns.RemoveAll(column => column.Type is null && !column.Json &&
            (columns.Any(other => other != column && other.Path.Count > column.Path.Count && other.Path.Take(column.Path.Count).SequenceEqual(column.Path))
             || children.Any(child => child.Path.SequenceEqual(column.Path))));

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (isRoot)
        {
            names.Add(SystemColumns.LastModified);
        }
        else
        {
            names.UnionWith([SystemColumns.RootKey, SystemColumns.ParentPosition, SystemColumns.Position]);
        }

        var defs = new List<ColumnDef>();
        foreach (var column in columns)
        {
            var columnName = Unique(SanitizeIdentifier(string.Join("_", column.Path)), names);
            defs.Add(new ColumnDef { Name = columnName, Type = column.Type ?? ColumnType.Text, Source = column.Path, Json = column.Json });
        }

        tables.Add(new TableDef { Name = name, Parent = parent, Source = source, Columns = defs });
        foreach (var (_, path, rows, childDepth) in children)
        {
            var childName = Unique(SanitizeIdentifier($"{name}_{string.Join("_", path)}"), tableNames);
            BuildTable(childName, name, path, rows, tables, tableNames, isRoot: false, childDepth, limits);
        }
    }

    /// <summary><paramref name="depth"/> is the nesting level of <paramref name="obj"/>: 1 for a record, one more per nested object or array of objects.</summary>
    private static void Collect(JsonElement obj, List<string> prefix, List<ColumnBuilder> columns, List<(string Field, List<string> Path, List<JsonElement> Rows, int Depth)> children, int depth, SchemaLimits limits, string table)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var path = new List<string>(prefix) { property.Name };
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Object || (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object)))
            {
                if (depth + 1 > limits.MaxDepth)
                {
                    throw new SchemaLimitException($"The sample nests objects and arrays more than {limits.MaxDepth} levels deep (Listeners:MaxDepth), at '{string.Join(".", path)}' in table {table}.");
                }
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    Collect(value, path, columns, children, depth + 1, limits, table);
                    break;
                case JsonValueKind.Array when value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object):
                    var key = string.Join("\u0001", path);
                    var existing = children.FindIndex(c => c.Field == key);
                    if (existing < 0)
                    {
                        children.Add((key, path, value.EnumerateArray().ToList(), depth + 1));
                    }
                    else
                    {
                        children[existing].Rows.AddRange(value.EnumerateArray());
                    }

                    break;
                default:
                    var column = columns.Find(c => c.Path.SequenceEqual(path));
                    if (column is null)
                    {
                        if (columns.Count >= limits.MaxColumns)
                        {
                            throw new SchemaLimitException($"Table {table} would have more than {limits.MaxColumns} columns (Listeners:MaxColumns); '{string.Join(".", path)}' is one too many. Pick a deeper root path or a smaller sample.");
                        }

                        column = new ColumnBuilder(path);
                        columns.Add(column);
                    }

                    column.See(value);
                    break;
            }
        }
    }

    private sealed class ColumnBuilder(List<string> path)
    {
        public List<string> Path { get; } = path;

        public ColumnType? Type { get; private set; }

        public bool Json { get; private set; }

        public void See(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                // Arrays of scalars (and empty arrays) are kept as JSON text.
                Json = true;
                Type = ColumnType.Text;
                return;
            }

            if (Json)
            {
                return;
            }

            var seen = TypeOf(value);
            if (seen is null)
            {
                return;
            }

            Type = (Type, seen) switch
            {
                (null, _) => seen,
                var (a, b) when a == b => a,
                (ColumnType.Integer, ColumnType.Real) or (ColumnType.Real, ColumnType.Integer) => ColumnType.Real,
                _ => ColumnType.Text,
            };
        }
    }

    public static ColumnType? TypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetInt64(out _) ? ColumnType.Integer : ColumnType.Real,
        JsonValueKind.True or JsonValueKind.False => ColumnType.Boolean,
        JsonValueKind.String => IsTimestamp(value.GetString()!) ? ColumnType.Timestamp : ColumnType.Text,
        _ => null,
    };

    public static bool IsTimestamp(string text) =>
        IsoDateTime().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?$")]
    private static partial Regex IsoDateTime();

    /// <summary>Letters, digits and underscores only; never starts with a digit; bounded length.</summary>
    public static string SanitizeIdentifier(string raw)
    {
        var builder = new StringBuilder(raw.Length);
        foreach (var ch in raw)
        {
            builder.Append(char.IsAsciiLetterOrDigit(ch) ? ch : '_');
        }

        var name = CollapseUnderscores().Replace(builder.ToString(), "_").Trim('_');
        if (name.Length == 0)
        {
            name = "field";
        }

        if (char.IsAsciiDigit(name[0]))
        {
            name = "f_" + name;
        }

        return name.Length > MaxIdentifierLength ? name[..MaxIdentifierLength] : name;
    }

    [GeneratedRegex("_{2,}")]
    private static partial Regex CollapseUnderscores();

    private static string Unique(string name, HashSet<string> taken)
    {
        if (SystemColumns.IsReserved(name))
        {
            name = "f_" + name.TrimStart('_');
        }

        var candidate = name;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            var suffix = "_" + i.ToString(CultureInfo.InvariantCulture);
            candidate = (name.Length + suffix.Length > MaxIdentifierLength ? name[..(MaxIdentifierLength - suffix.Length)] : name) + suffix;
        }

        return candidate;
    }
}
