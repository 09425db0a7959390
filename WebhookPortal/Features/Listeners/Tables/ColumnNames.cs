using System.Text.RegularExpressions;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// The rules for a column name an admin types (the Generate Tables dialog checks them as the server does):
/// the same shape inference gives names, so a name never needs quoting care beyond the usual.
/// </summary>
public static partial class ColumnNames
{
    /// <summary>Why <paramref name="name"/> cannot name a column, or null.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "A column name is required.";
        }

        if (name.Length > SchemaInference.MaxIdentifierLength)
        {
            return $"A column name has at most {SchemaInference.MaxIdentifierLength} characters.";
        }

        if (!Identifier().IsMatch(name))
        {
            return "Use letters, digits and underscores, starting with a letter.";
        }

        // SQLite compares names without case: "LASTMODIFIED" would clash with the root's lastModified.
        if (SystemColumns.All.Any(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase)))
        {
            return $"'{name}' is a column the portal keeps itself.";
        }

        return null;
    }

    /// <summary>
    /// The problems of one table's final column names, by position: a renamed column with a bad name, or any
    /// column whose name another column of the table also has (compared without case, as SQLite does).
    /// </summary>
    public static Dictionary<int, string> Check(string table, IReadOnlyList<(string Name, bool Renamed)> columns)
    {
        var problems = new Dictionary<int, string>();
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Renamed && Problem(columns[i].Name) is { } problem)
            {
                problems[i] = problem;
            }
        }

        foreach (var group in Enumerable.Range(0, columns.Count).Where(i => !problems.ContainsKey(i)).GroupBy(i => columns[i].Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            // Blame the renamed ones: a column keeping its inferred name did nothing wrong.
            var blamed = group.Where(i => columns[i].Renamed).ToList();
            foreach (var i in blamed.Count > 0 ? blamed : group.ToList())
            {
                problems[i] = $"Another column of {table} is already named '{columns[i].Name}'.";
            }
        }

        return problems;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
