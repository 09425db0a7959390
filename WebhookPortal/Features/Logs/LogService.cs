using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Logs;

/// <summary>The request and attempt log, filtered and paged on the server, newest first.</summary>
public sealed class LogService(IDbContextFactory<PortalDbContext> dbFactory, Microsoft.Extensions.Options.IOptions<LogOptions> logOptions)
{
    public async Task<LogPage> SearchAsync(LogQuery query, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        LogDirection? direction = null;
        if (!string.IsNullOrEmpty(query.Direction))
        {
            if (StoredEnum<LogDirection>.TryParse(query.Direction, out var parsed))
            {
                direction = parsed;
            }
            else
            {
                errors["direction"] = ["The direction is inbound or outbound."];
            }
        }

        // "all" (or nothing) means both states.
        LogState? state = null;
        if (query.State is not (null or "" or "all"))
        {
            if (StoredEnum<LogState>.TryParse(query.State, out var parsed))
            {
                state = parsed;
            }
            else
            {
                errors["state"] = ["The state is success, error or all."];
            }
        }

        if (query.Page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (query.PageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (query.From is { } from && query.To is { } to && from > to)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entries = db.LogEntries.AsNoTracking();
        if (direction is { } wantedDirection)
        {
            entries = entries.Where(e => e.Direction == wantedDirection);
        }

        if (!string.IsNullOrWhiteSpace(query.Name))
        {
            entries = entries.Where(e => e.Name == query.Name);
        }

        if (state is { } wantedState)
        {
            entries = entries.Where(e => e.State == wantedState);
        }

        if (query.From is { } f)
        {
            var fromUtc = f.ToUniversalTime();
            entries = entries.Where(e => e.TimeUtc >= fromUtc);
        }

        if (query.To is { } t)
        {
            var toUtc = t.ToUniversalTime();
            entries = entries.Where(e => e.TimeUtc <= toUtc);
        }

        if (query.IntegrationId is { } integration)
        {
            entries = entries.Where(e => e.IntegrationId == integration);
        }

        if (query.SourceId is { } source)
        {
            entries = entries.Where(e => e.SourceId == source);
        }

        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var q = query.Q.Trim();
            entries = entries.Where(e => e.Name.Contains(q) || e.Path.Contains(q) || (e.EventType != null && e.EventType.Contains(q)) || (e.Error != null && e.Error.Contains(q)) || (e.RequestBody != null && e.RequestBody.Contains(q)));
        }

        var total = await entries.CountAsync(ct);
        var items = await entries.OrderByDescending(e => e.Id)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(e => new LogItem(e.Id, e.TimeUtc, e.Direction, e.IntegrationId, e.Name, e.Method, e.Path, e.Status, e.State, e.Error, e.DurationMs, e.EventType, e.Duplicate, e.ReplayOfId, e.Note))
            .ToListAsync(ct);
        return new LogPage(total, items);
    }

    /// <summary>Listener and webhook names seen in the log, for the viewer's autocomplete.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.LogEntries.AsNoTracking().Select(e => e.Name).Distinct().OrderBy(n => n).Take(500).ToListAsync(ct);
    }

    /// <summary>The other attempts of the same delivery, oldest first.</summary>
    public async Task<IReadOnlyList<LogItem>> SameDeliveryAsync(Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.LogEntries.AsNoTracking().Where(e => e.DeliveryId == deliveryId).OrderBy(e => e.Id)
            .Select(e => new LogItem(e.Id, e.TimeUtc, e.Direction, e.IntegrationId, e.Name, e.Method, e.Path, e.Status, e.State, e.Error, e.DurationMs, null, e.Duplicate, e.ReplayOfId, e.Note)).ToListAsync(ct);
    }

    public async Task<LogDetailView> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.LogEntries.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"No log entry with id {id}.");
        var deliveryState = e.DeliveryId is { } deliveryId
            ? await db.Deliveries.AsNoTracking().Where(d => d.Id == deliveryId).Select(d => (WebhookPortal.Features.Deliveries.DeliveryState?)d.State).FirstOrDefaultAsync(ct)
            : null;
        var notReplayable = e.Direction == LogDirection.Inbound ? LogActions.NotReplayableReason(e.Direction, e.Status, e.Method, e.RequestBody, logOptions.Value.MaxBodyChars, LogActions.IsHandshake(e.Note)) : null;
        return new LogDetailView(e.Id, e.TimeUtc, e.Direction, e.IntegrationId, e.SourceId, e.Name, e.Method, e.Path, e.Status, e.State, e.Error, e.DurationMs,
            ParseHeaders(e.RequestHeaders), e.RequestBody, ParseHeaders(e.ResponseHeaders), e.ResponseBody, e.DeliveryId, e.Attempt, notReplayable, deliveryState,
            e.Direction == LogDirection.Inbound ? NotASampleReason(e.SourceId, e.Method, e.RequestBody, logOptions.Value.MaxBodyChars) : null)
        {
            Duplicate = e.Duplicate,
            ReplayOfId = e.ReplayOfId,
            Note = e.Note,
        };
    }

    /// <summary>Why a logged inbound body cannot be the sample of Generate Tables, or null.</summary>
    public static string? NotASampleReason(Guid? listenerId, string method, string? requestBody, int maxBodyChars)
    {
        if (listenerId is null)
        {
            return "This request belongs to no listener.";
        }

        if (method == "DELETE" || string.IsNullOrWhiteSpace(requestBody))
        {
            return "No body was logged for this request.";
        }

        // Redaction.Truncate cuts at the limit: a body that long may be a cut one.
        if (requestBody.Length >= maxBodyChars)
        {
            return $"The logged body was cut at the log's limit of {maxBodyChars} characters, so it is not the whole request.";
        }

        try
        {
            using var document = JsonDocument.Parse(requestBody, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? null : "The logged body is JSON but not an object or an array of records.";
        }
        catch (JsonException)
        {
            return "The logged body is not valid JSON.";
        }
    }

    private static IReadOnlyDictionary<string, string>? ParseHeaders(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json);
}
