using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Which stored records to read and in which order: a text that must appear in a key or a text column
/// (case-insensitive), and a root column (or <c>lastModified</c>) to sort by. The default is newest first.
/// </summary>
public sealed record RecordQuery(string? Search = null, string? Sort = null, bool Descending = true)
{
    public static readonly RecordQuery Newest = new();

    /// <summary>The query of the records API's <c>q</c>, <c>sort</c> and <c>order</c> parameters, checked against the listener's tables.</summary>
    public static RecordQuery Parse(TableSchema? schema, string? q, string? sort, string? order)
    {
        var errors = new Dictionary<string, string[]>();
        if (q is { Length: > 200 })
        {
            errors["q"] = ["The search text is at most 200 characters."];
        }

        string? column = null;
        if (!string.IsNullOrWhiteSpace(sort))
        {
            column = ResolveColumn(schema, sort.Trim());
            if (column is null)
            {
                var known = schema is null ? "" : " Sortable: " + string.Join(", ", SortableColumns(schema)) + ".";
                errors["sort"] = [$"'{sort}' is not a column of the listener's root table.{known}"];
            }
        }

        var descending = true;
        switch (order?.Trim().ToLowerInvariant())
        {
            case null or "" or "desc":
                // Newest first, or the largest value of the chosen column first.
                break;
            case "asc":
                descending = false;
                break;
            default:
                errors["order"] = ["The order is 'asc' or 'desc'."];
                break;
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        return new RecordQuery(string.IsNullOrWhiteSpace(q) ? null : q.Trim(), column, descending);
    }

    /// <summary>The columns a page may be sorted by: the root table's own columns and the last-modified time.</summary>
    public static IEnumerable<string> SortableColumns(TableSchema schema) =>
        schema.Root.Columns.Where(c => !c.Json).Select(c => c.Name).Append(SystemColumns.LastModified);

    /// <summary>The columns a search looks in: the key, and every text or timestamp column of the root table.</summary>
    public static IEnumerable<ColumnDef> SearchedColumns(TableSchema schema) =>
        schema.Root.Columns.Where(c => c.PrimaryKey || c.Type is ColumnType.Text or ColumnType.Timestamp);

    private static string? ResolveColumn(TableSchema? schema, string name)
    {
        if (schema is null)
        {
            return null;
        }

        var sortable = SortableColumns(schema).ToList();
        return sortable.FirstOrDefault(c => c == name) ?? sortable.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
    }
}
