using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Audit;

/// <summary>Reads the trail (administrators only): search, one entry with its diff, and the export of a search.</summary>
public sealed class AuditService(IDbContextFactory<PortalDbContext> dbFactory, PortalCaller caller)
{
    public const int MaxPageSize = 500;

    public async Task<AuditPage> SearchAsync(AuditQuery query, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read the audit trail");
        Validate(query, paging: true);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entries = Filter(db, query);
        var total = await entries.CountAsync(ct);
        var items = await entries.OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(ItemOf)
            .ToListAsync(ct);
        return new AuditPage(total, items);
    }

    public async Task<AuditDetail> GetAsync(long id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read the audit trail");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entry = await db.Set<AuditEntry>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"No audit entry with id {id}.");
        return new AuditDetail(CompiledItemOf(entry), entry.Before, entry.After, Diff(entry.Before, entry.After));
    }

    /// <summary>The actions recorded so far (the page's action filter suggests them).</summary>
    public async Task<IReadOnlyList<string>> ActionsAsync(CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read the audit trail");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<AuditEntry>().Select(e => e.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
    }

    /// <summary>Checks the export (format, filters, caller) before anything is written, then streams every matching entry, newest first.</summary>
    public async Task<(string FileName, string ContentType, Func<Stream, CancellationToken, Task> WriteAsync)> PrepareExportAsync(string? format, AuditQuery query, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("export the audit trail");
        format = (format ?? "csv").Trim().ToLowerInvariant();
        if (format is not ("csv" or "json"))
        {
            throw new PortalValidationException("format", "The format is csv or json.");
        }

        Validate(query, paging: false);
        var name = $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.{format}";
        return format == "csv"
            ? (name, "text/csv; charset=utf-8", (stream, token) => WriteCsvAsync(stream, query, token))
            : (name, "application/json; charset=utf-8", (stream, token) => WriteJsonAsync(stream, query, token));
    }

    private async Task WriteCsvAsync(Stream stream, AuditQuery query, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        await writer.WriteLineAsync("id,time,actorKind,actorName,actorId,address,action,resourceType,resourceId,resourceName,severity,summary,before,after");
        await foreach (var e in Filter(db, query).OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            string[] cells = [e.Id.ToString(CultureInfo.InvariantCulture), e.TimeUtc.ToString("O", CultureInfo.InvariantCulture), e.ActorKind ?? "", e.ActorName ?? "", e.ActorId ?? "", e.Address ?? "",
                e.Action, e.ResourceType, e.ResourceId ?? "", e.ResourceName ?? "", e.Severity, e.Summary ?? "", e.Before ?? "", e.After ?? ""];
            await writer.WriteLineAsync(string.Join(",", cells.Select(Csv)));
        }
    }

    private async Task WriteJsonAsync(Stream stream, AuditQuery query, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        writer.WriteStartArray();
        await foreach (var e in Filter(db, query).OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", e.Id);
            writer.WriteString("time", e.TimeUtc);
            writer.WriteString("actorKind", e.ActorKind);
            writer.WriteString("actorName", e.ActorName);
            writer.WriteString("actorId", e.ActorId);
            writer.WriteString("address", e.Address);
            writer.WriteString("action", e.Action);
            writer.WriteString("resourceType", e.ResourceType);
            writer.WriteString("resourceId", e.ResourceId);
            writer.WriteString("resourceName", e.ResourceName);
            writer.WriteString("severity", e.Severity);
            writer.WriteString("summary", e.Summary);
            writer.WritePropertyName("before");
            WriteRaw(writer, e.Before);
            writer.WritePropertyName("after");
            WriteRaw(writer, e.After);
            writer.WriteEndObject();
            if (writer.BytesPending > 16 * 1024)
            {
                await writer.FlushAsync(ct);
            }
        }

        writer.WriteEndArray();
        await writer.FlushAsync(ct);
    }

    private static void WriteRaw(Utf8JsonWriter writer, string? json)
    {
        if (json is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(json);
        }
    }

    // Spreadsheets run cells that start with = + - @ as formulas: such cells get a leading apostrophe.
    private static string Csv(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static void Validate(AuditQuery query, bool paging)
    {
        var errors = new Dictionary<string, string[]>();
        if (paging && query.Page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (paging && query.PageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"The page size must be between 1 and {MaxPageSize}."];
        }

        if (query.From is { } from && query.To is { } to && from > to)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        if (!string.IsNullOrWhiteSpace(query.Resource) && !AuditResources.All.Contains(query.Resource.Trim(), StringComparer.Ordinal))
        {
            errors["resource"] = [$"The resource is one of: {string.Join(", ", AuditResources.All)}."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }
    }

    private static IQueryable<AuditEntry> Filter(PortalDbContext db, AuditQuery query)
    {
        var entries = db.Set<AuditEntry>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            var actor = query.Actor.Trim();
            var lower = actor.ToLowerInvariant();
            entries = entries.Where(e => (e.ActorName != null && e.ActorName.ToLower().Contains(lower)) || e.ActorId == actor);
        }

        if (!string.IsNullOrWhiteSpace(query.Resource))
        {
            var resource = query.Resource.Trim();
            entries = entries.Where(e => e.ResourceType == resource);
        }

        if (!string.IsNullOrWhiteSpace(query.ResourceId))
        {
            var resourceId = query.ResourceId.Trim();
            entries = entries.Where(e => e.ResourceId == resourceId);
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            // "listener.auth_changed" is that action; "listener" (or "listener.") every action of listeners.
            var action = query.Action.Trim().TrimEnd('.');
            var prefix = action + ".";
            entries = entries.Where(e => e.Action == action || e.Action.StartsWith(prefix));
        }

        if (query.From is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            entries = entries.Where(e => e.TimeUtc >= fromUtc);
        }

        if (query.To is { } to)
        {
            var toUtc = to.ToUniversalTime();
            entries = entries.Where(e => e.TimeUtc <= toUtc);
        }

        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var q = query.Q.Trim().ToLowerInvariant();
            entries = entries.Where(e => (e.ActorName != null && e.ActorName.ToLower().Contains(q))
                || (e.ResourceName != null && e.ResourceName.ToLower().Contains(q))
                || (e.ResourceId != null && e.ResourceId.ToLower().Contains(q))
                || e.Action.Contains(q)
                || (e.Summary != null && e.Summary.ToLower().Contains(q))
                || (e.Address != null && e.Address.Contains(q)));
        }

        return entries;
    }

    private static readonly System.Linq.Expressions.Expression<Func<AuditEntry, AuditItem>> ItemOf = e =>
        new AuditItem(e.Id, e.TimeUtc, e.ActorKind ?? AuditActorKinds.System, e.ActorId, e.ActorName, e.Address, e.Action, e.ResourceType, e.ResourceId, e.ResourceName, e.Severity, e.Summary);

    private static readonly Func<AuditEntry, AuditItem> CompiledItemOf = ItemOf.Compile();

    /// <summary>Field by field: every field in either side whose JSON differs (a creation shows every field, a deletion too).</summary>
    public static IReadOnlyList<AuditChange> Diff(string? before, string? after)
    {
        var b = Parse(before);
        var a = Parse(after);
        var fields = b.Select(p => p.Key).Concat(a.Select(p => p.Key).Where(k => !b.ContainsKey(k))).ToList();
        var changes = new List<AuditChange>();
        foreach (var field in fields)
        {
            var old = b.TryGetPropertyValue(field, out var x) ? x?.ToJsonString() ?? "null" : null;
            var now = a.TryGetPropertyValue(field, out var y) ? y?.ToJsonString() ?? "null" : null;
            if (old != now)
            {
                changes.Add(new AuditChange(field, old, now));
            }
        }

        return changes;
    }

    private static JsonObject Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
