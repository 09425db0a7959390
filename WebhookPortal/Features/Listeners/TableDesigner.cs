using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Designs a listener's tables from a JSON sample: previews them, then creates or migrates them
/// (a change that would lose data needs confirmation).
/// </summary>
public sealed partial class TableDesigner(
    IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, IOptions<ListenerOptions> listenerOptions, PortalCaller caller)
{
    public async Task<TablesPreviewResponse> PreviewTablesAsync(Guid id, TablesRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate tables");
        var listener = await FindAsync(db, id, ct);
        var schema = Infer(request, requireKey: false, listenerOptions.Value.SchemaLimits);
        var sqlite = db.Database.IsSqlite();

        // Without a key there is no CREATE TABLE to show yet.
        var plan = schema.KeyColumns.Count > 0 ? SchemaMigration.Plan(id, listener.GetSchema(), schema, SqlDialect.For(sqlite)) : null;
        return new TablesPreviewResponse(Describe(schema), plan?.Statements ?? [], plan?.Losses ?? [], sqlite ? "SQLite" : "PostgreSQL");
    }

    /// <summary>Creates the tables, or migrates them: new columns are added; a destructive change needs confirmation.</summary>
    public async Task<TablesResponse> GenerateTablesAsync(Guid id, TablesRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate tables");
        var listener = await FindAsync(db, id, ct);
        var target = Infer(request, requireKey: true, listenerOptions.Value.SchemaLimits);
        var current = listener.GetSchema();
        var dialect = SqlDialect.For(db.Database.IsSqlite());
        var plan = SchemaMigration.Plan(id, current, target, dialect);
        if (plan.IsDestructive && !request.ConfirmDestructive)
        {
            throw new DestructiveChangeException(plan.Losses);
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            foreach (var statement in plan.Statements)
            {
                await ExecuteAsync(db, statement, ct);
            }

            listener.SetSchema(target);
            listener.SampleJson = request.Sample is { ValueKind: JsonValueKind.String } text ? text.GetString() : request.Sample?.GetRawText();
            Touch(listener, time);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        directory.Invalidate(id);
        return new TablesResponse(Describe(target), plan.Statements, plan.Losses);
    }

    public static IReadOnlyList<TableView> Describe(TableSchema schema) =>
        schema.Tables.Select(t => new TableView(t.Name, t.Parent, t.Columns.Select(c => new TableColumnView(c.Name, c.Type, c.PrimaryKey, c.Source.Count > 0 ? string.Join(".", c.Source) : null, c.Json)).ToList())).ToList();

    private static TableSchema Infer(TablesRequest request, bool requireKey, SchemaLimits limits)
    {
        var errors = new Dictionary<string, string[]>();
        JsonElement sample = default;
        if (request.Sample is not { } raw || raw.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            errors["sample"] = ["A JSON sample is required."];
        }
        else if (raw.ValueKind == JsonValueKind.String)
        {
            // The editor sends the sample as text.
            try
            {
                sample = JsonDocument.Parse(raw.GetString()!, new JsonDocumentOptions { MaxDepth = 64 }).RootElement;
            }
            catch (JsonException ex)
            {
                errors["sample"] = [$"The sample is not valid JSON: {ex.Message}"];
            }
        }
        else
        {
            sample = raw;
        }

        if (string.IsNullOrWhiteSpace(request.BaseName))
        {
            errors["baseName"] = ["The base name is required."];
        }

        if (request.RootPath is { Length: > 0 } path && !RootPathPattern().IsMatch(path.Trim()))
        {
            errors["rootPath"] = ["The root path is a dot path of property names, e.g. data.items."];
        }

        if (requireKey && request.PrimaryKey is not { Length: > 0 })
        {
            errors["primaryKey"] = ["Pick at least one root column as the primary key."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var schema = SchemaInference.Infer(sample, request.BaseName, request.RootPath, primaryKey: null, limits);
        if (request.ColumnTypes is { Count: > 0 } overrides)
        {
            schema = ApplyTypes(schema, overrides);
        }

        var columns = request.Columns ?? [];
        if (request.PrimaryKey is { Length: > 0 } primaryKey)
        {
            schema = MarkKeys(schema, primaryKey, columns);
        }

        if (columns.Count > 0)
        {
            schema = ApplyColumns(schema, columns);
        }

        foreach (var key in schema.KeyColumns)
        {
            if (key.Json)
            {
                throw new PortalValidationException("primaryKey", $"'{key.Name}' holds an array and cannot be a key.");
            }
        }

        return schema;
    }

    private static TableSchema ApplyTypes(TableSchema schema, Dictionary<string, ColumnType> overrides)
    {
        var known = schema.Tables.SelectMany(t => t.Columns.Select(c => $"{t.Name}.{c.Name}")).ToHashSet(StringComparer.Ordinal);
        var unknown = overrides.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new PortalValidationException("columnTypes", $"Unknown columns: {string.Join(", ", unknown)} (use \"table.column\").");
        }

        return schema with
        {
            Tables = schema.Tables.Select(t => t with
            {
                Columns = t.Columns.Select(c => overrides.TryGetValue($"{t.Name}.{c.Name}", out var type) && !c.Json ? c with { Type = type } : c).ToList(),
            }).ToList(),
        };
    }

    /// <summary>Marks the root key; a key names a column by its final name (after a rename) or, failing that, its inferred one.</summary>
    private static TableSchema MarkKeys(TableSchema schema, string[] primaryKey, Dictionary<string, ColumnOverride> overrides)
    {
        var root = schema.Root;
        string FinalName(ColumnDef c) =>
            overrides.TryGetValue($"{root.Name}.{c.Name}", out var o) && !string.IsNullOrWhiteSpace(o.Name) ? o.Name.Trim() : c.Name;

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in primaryKey)
        {
            var column = root.Columns.FirstOrDefault(c => FinalName(c) == key) ?? root.Columns.FirstOrDefault(c => c.Name == key)
                ?? throw new PortalValidationException("primaryKey", $"'{key}' is not a column of the root table {root.Name}.");
            keys.Add(column.Name);
        }

        return schema with
        {
            Tables = [root with { Columns = root.Columns.Select(c => keys.Contains(c.Name) ? c with { PrimaryKey = true } : c).ToList() }, .. schema.Tables.Skip(1)],
        };
    }

    /// <summary>
    /// Renames and retypes columns. A column keeps its <see cref="ColumnDef.Source"/>, so a renamed column is still
    /// filled from its JSON field. Every problem is reported at once, keyed <c>columns[table.column]</c>.
    /// </summary>
    private static TableSchema ApplyColumns(TableSchema schema, Dictionary<string, ColumnOverride> overrides)
    {
        var errors = new Dictionary<string, string[]>();
        var known = schema.Tables.SelectMany(t => t.Columns.Select(c => $"{t.Name}.{c.Name}")).ToHashSet(StringComparer.Ordinal);
        var unknown = overrides.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            errors["columns"] = [$"Unknown columns: {string.Join(", ", unknown)} (use \"table.column\" with the inferred names a preview lists)."];
        }

        var tables = new List<TableDef>();
        foreach (var table in schema.Tables)
        {
            var columns = new List<ColumnDef>();
            var names = new List<(string Name, bool Renamed)>();
            foreach (var column in table.Columns)
            {
                var key = $"{table.Name}.{column.Name}";
                if (!overrides.TryGetValue(key, out var change) || change is null)
                {
                    columns.Add(column);
                    names.Add((column.Name, false));
                    continue;
                }

                var name = change.Name?.Trim() ?? column.Name;
                var type = change.Type ?? column.Type;
                if (column.Json && type != ColumnType.Text)
                {
                    errors[$"columns[{key}]"] = [$"'{column.Name}' holds an array of values, kept as JSON text: its type stays Text."];
                }

                columns.Add(column with { Name = name, Type = type });
                names.Add((name, name != column.Name));
            }

            foreach (var (index, problem) in ColumnNames.Check(table.Name, names))
            {
                errors.TryAdd($"columns[{table.Name}.{table.Columns[index].Name}]", [problem]);
            }

            tables.Add(table with { Columns = columns });
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        return schema with { Tables = tables };
    }

    [GeneratedRegex(@"^[^.\s]+(\.[^.\s]+)*$")]
    private static partial Regex RootPathPattern();
}
