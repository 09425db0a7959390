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
        await FindAsync(db, id, ct);
        var schema = Infer(request, requireKey: false, listenerOptions.Value.SchemaLimits);
        return new TablesPreviewResponse(Describe(schema));
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
        schema.Tables.Select(t => new TableView(t.Name, t.Parent, t.Columns.Select(c => new TableColumnView(c.Name, c.Type, c.PrimaryKey)).ToList())).ToList();

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

        var schema = SchemaInference.Infer(sample, request.BaseName, request.RootPath, request.PrimaryKey, limits);
        if (request.ColumnTypes is { Count: > 0 } overrides)
        {
            schema = ApplyTypes(schema, overrides);
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

    [GeneratedRegex(@"^[^.\s]+(\.[^.\s]+)*$")]
    private static partial Regex RootPathPattern();
}
