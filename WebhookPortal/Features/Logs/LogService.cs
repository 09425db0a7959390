using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Logs;

/// <summary>The request and attempt log, filtered and paged on the server, newest first.</summary>
public sealed class LogService(IDbContextFactory<PortalDbContext> dbFactory, Microsoft.Extensions.Options.IOptions<LogOptions> logOptions, IDataProtectionProvider protection, WriteGate? gate = null)
{
    private readonly LogCursor cursors = new(protection);

    /// <summary>
    /// One page of the entries a search matches. Without free text, newest first by time (then id), each filter the
    /// page offers served by an index that ends in TimeUtc (<see cref="LogEntryConfiguration"/>), so a page and the
    /// capped count read only index entries of matching rows. With free text, newest first by id (the order entries
    /// were logged in, which is their time order but for an attempt logged when it ended), the order in which the
    /// full-text index hands its matches out, so a page stops after its last row instead of sorting every match.
    /// </summary>
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

        if (query.Cursor is not null && query.Page != 1)
        {
            errors["cursor"] = ["Give either a page or a cursor, not both."];
        }

        if (query.PageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (query.From is { } from && query.To is { } to && from > to)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        LogSearchText? text = null;
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            if (query.Q.Length > LogSearchText.MaxLength)
            {
                errors["q"] = [$"The search text is at most {LogSearchText.MaxLength} characters."];
            }
            else if ((text = LogSearchText.Parse(query.Q)) is null)
            {
                errors["q"] = ["The search looks for words: give at least one letter or digit."];
            }
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var name = string.IsNullOrWhiteSpace(query.Name) ? null : query.Name;
        var fromUtc = query.From?.ToUniversalTime();
        var toUtc = query.To?.ToUniversalTime();
        // What a cursor is bound to: the same filters, normalized as they are applied.
        var search = string.Join('\n', direction?.ToText(), name, state?.ToText(), fromUtc?.Ticks, toUtc?.Ticks, query.IntegrationId, query.SourceId, text is null ? null : query.Q!.Trim());
        (DateTime Time, long Id)? after = query.Cursor is { } cursor ? cursors.Read(cursor, search) : null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sqlite = db.Database.IsSqlite();
        var entries = db.LogEntries.AsNoTracking();
        string? sqliteCountMatch = null;
        if (text is not null)
        {
            // Entries logged since the last background run are indexed first, so that a search sees every committed entry.
            await LogSearchIndex.CatchUpAsync(db, ct, gate: gate);
            var prefix = text.MayWiden && (text.ExplicitPrefix || !await AnyTextMatchAsync(db, sqlite, text, ct));
            if (sqlite)
            {
                var tags = new List<string>();
                if (direction is { } d)
                {
                    tags.Add(LogSearchText.Tag('d', d.ToText()));
                }

                if (state is { } s)
                {
                    tags.Add(LogSearchText.Tag('s', s.ToText()));
                }

                if (name is not null)
                {
                    tags.Add(LogSearchText.Tag('n', name));
                }

                var match = text.Fts5(prefix, tags);
                entries = db.LogEntries.FromSqlRaw(SqliteTextSql(db), match).AsNoTracking();
                // Every filter is inside the MATCH: the count needs the full-text index only, not the entries.
                if (fromUtc is null && toUtc is null && query.IntegrationId is null && query.SourceId is null)
                {
                    sqliteCountMatch = match;
                }
            }
            else
            {
                entries = db.LogEntries.FromSqlRaw("SELECT * FROM \"LogEntries\" WHERE \"SearchVector\" @@ to_tsquery('simple', {0})", text.TsQuery(prefix)).AsNoTracking();
            }
        }

        if (direction is { } wantedDirection)
        {
            entries = entries.Where(e => e.Direction == wantedDirection);
        }

        if (name is not null)
        {
            entries = entries.Where(e => e.Name == name);
        }

        // Errors as a constant, not a parameter: the indexes of error entries (LogEntryConfiguration) are partial, and a
        // database uses one only when the query's text implies its condition.
        if (state == LogState.Error)
        {
            entries = entries.Where(e => e.State == LogState.Error);
        }
        else if (state == LogState.Success)
        {
            entries = entries.Where(e => e.State == LogState.Success);
        }

        if (fromUtc is { } f)
        {
            entries = entries.Where(e => e.TimeUtc >= f);
        }

        if (toUtc is { } t)
        {
            entries = entries.Where(e => e.TimeUtc <= t);
        }

        if (query.IntegrationId is { } integration)
        {
            entries = entries.Where(e => e.IntegrationId == integration);
        }

        if (query.SourceId is { } source)
        {
            entries = entries.Where(e => e.SourceId == source);
        }

        // Counting stops one past the limit: enough to know there are more, never a read of the whole log. Text matches
        // stop sooner (Logs:TextCountLimit): PostgreSQL visits each match's row to count it (a word in 2 % of a million
        // entries: 10,001 row visits, ~130 ms; 1,001: ~25 ms).
        var limit = text is null ? logOptions.Value.CountLimit : Math.Min(logOptions.Value.CountLimit, logOptions.Value.TextCountLimit);
        var countable = entries;
        IOrderedQueryable<LogEntry> ordered;
        if (text is not null)
        {
            if (after is { } position)
            {
                var id = position.Id;
                entries = entries.Where(e => e.Id < id);
            }

            ordered = entries.OrderByDescending(e => e.Id);
        }
        else
        {
            if (after is { } position)
            {
                // (TimeUtc, Id) < (time, id); the first comparison alone bounds the index range.
                var (time, id) = position;
                entries = entries.Where(e => e.TimeUtc <= time && (e.TimeUtc < time || e.Id < id));
            }

            ordered = entries.OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id);
        }

        var items = await ordered.Skip(after is null ? (query.Page - 1) * query.PageSize : 0).Take(query.PageSize + 1)
            .Select(e => new LogItem(e.Id, e.TimeUtc, e.Direction, e.IntegrationId, e.Name, e.Method, e.Path, e.Status, e.State, e.Error, e.DurationMs, e.EventType, e.Duplicate, e.ReplayOfId, e.Note))
            .ToListAsync(ct);
        string? next = null;
        if (items.Count > query.PageSize)
        {
            items.RemoveAt(items.Count - 1);
            next = cursors.Create(items[^1].Time, items[^1].Id, search);
        }

        // A first page that is not full holds every match: no count query needed.
        var counted = after is null && query.Page == 1 && next is null
            ? items.Count
            : sqliteCountMatch is not null
                ? (await db.Database.SqlQueryRaw<int>("SELECT count(*) AS \"Value\" FROM (SELECT 1 FROM \"LogSearch\" WHERE \"LogSearch\" MATCH {0} LIMIT {1})", sqliteCountMatch, limit + 1).ToListAsync(ct))[0]
                : await countable.Take(limit + 1).CountAsync(ct);

        return new LogPage(Math.Min(counted, limit), items) { TotalCapped = counted > limit, Next = next };
    }

    /// <summary>Whether the words as typed, whole, match anything in the log (else the last one is taken as a prefix).</summary>
    private static async Task<bool> AnyTextMatchAsync(PortalDbContext db, bool sqlite, LogSearchText text, CancellationToken ct) =>
        (sqlite
            ? await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM \"LogSearch\" WHERE \"LogSearch\" MATCH {0} LIMIT 1", text.Fts5(prefix: false, [])).ToListAsync(ct)
            : await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM \"LogEntries\" WHERE \"SearchVector\" @@ to_tsquery('simple', {0}) LIMIT 1", text.TsQuery(prefix: false)).ToListAsync(ct)).Count > 0;

    private static string? sqliteTextSql;

    /// <summary>
    /// The entries an FTS5 query matches, with the index's rowid as their Id: ordering and the keyset bound on Id then
    /// apply to the full-text index itself (which reads its matches newest first and stops), not to a join result.
    /// </summary>
    private static string SqliteTextSql(PortalDbContext db) => sqliteTextSql ??= BuildSqliteTextSql(db);

    private static string BuildSqliteTextSql(PortalDbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(LogEntry))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties().Select(p => p.GetColumnName(table)!).Where(c => c != nameof(LogEntry.Id)).Select(c => $"e.\"{c}\"");
        return $"SELECT s.rowid AS \"Id\", {string.Join(", ", columns)} FROM \"LogSearch\" AS s JOIN \"LogEntries\" AS e ON e.\"Id\" = s.rowid WHERE \"LogSearch\" MATCH {{0}}";
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
