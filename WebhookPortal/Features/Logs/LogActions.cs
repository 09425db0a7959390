using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Logs;

/// <summary>What an administrator can do from a log entry: replay an inbound request, redeliver an outbound one.</summary>
public sealed class LogActions(IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory listeners, InboundPipeline pipeline, DeliveryService deliveries, IOptions<LogOptions> logOptions, TimeProvider time,
    WebhookPortal.Infrastructure.Auth.PortalCaller caller, WebhookPortal.Features.Audit.AuditLog? audit = null)
{
    /// <summary>Runs a logged inbound request again, without its (redacted) credentials, as a new logged request.</summary>
    public async Task<ReplayResponse> ReplayAsync(long id, CancellationToken ct = default)
    {
        // Support may replay (SPEC: "Support may read and redeliver/replay"); the new entry says who did it.
        var user = await caller.RequireDeliveryActionAsync("replay requests");
        var entry = await FindAsync(id, ct);
        if (entry.Direction != LogDirection.Inbound || entry.SourceId is null)
        {
            throw new ConflictException("Only inbound requests can be replayed; redeliver outbound attempts instead.");
        }

        if (NotReplayableReason(entry.Direction, entry.Status, entry.Method, entry.RequestBody, logOptions.Value.MaxBodyChars, IsHandshake(entry.Note)) is { } reason)
        {
            throw new ConflictException(reason);
        }

        var outcome = await ReplayEntryAsync(entry, user.Identity?.Name ?? "unknown", ct);
        if (audit is not null)
        {
            await audit.RecordAsync("replay.replayed", WebhookPortal.Features.Audit.AuditResources.Replay, id.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Name,
                $"Replayed {entry.Method} request {id} of '{entry.Name}': the listener answered {outcome.Status}",
                new { logEntryId = id, listenerId = entry.SourceId, entry.Method, status = outcome.Status }, ct: ct);
        }

        return new ReplayResponse(outcome.Status, outcome.Body);
    }

    /// <summary>
    /// Runs one logged inbound request again as a new log entry linked to it (<see cref="LogEntry.ReplayOfId"/>).
    /// The caller has checked that it may and that the entry is replayable; a bulk replay's job calls this for each entry.
    /// </summary>
    internal async Task<WriteOutcome> ReplayEntryAsync(LogEntry entry, string replayedBy, CancellationToken ct)
    {
        var id = entry.Id;
        var listener = await listeners.GetAsync(entry.SourceId ?? Guid.Empty, ct) ?? throw new ConflictException("The listener of this request no longer exists.");
        if (!listener.Enabled)
        {
            throw new ConflictException("The listener is disabled; enable it to replay its requests.");
        }

        var (path, query) = SplitPath(entry.Path);
        var prefix = $"/hooks/{listener.IntegrationId}/{listener.Id}";
        string? recordId = null;
        if (path.Length > prefix.Length + 1 && path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase))
        {
            recordId = Uri.UnescapeDataString(path[(prefix.Length + 1)..]);
        }

        var log = new LogEntry
        {
            TimeUtc = time.GetUtcNow().UtcDateTime,
            Direction = LogDirection.Inbound,
            IntegrationId = listener.IntegrationId,
            SourceId = listener.Id,
            Name = listener.Name,
            Method = entry.Method,
            Path = entry.Path,
            State = LogState.Error,
            ReplayOfId = id,
            RequestHeaders = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["X-Portal-Replay-Of"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["X-Portal-Replay-By"] = replayedBy,
            }),
        };
        using var request = new InboundRequest
        {
            Listener = listener,
            Method = entry.Method.ToUpperInvariant(),
            Headers = new HeaderDictionary(),
            Query = new QueryCollection(query),
            RecordId = recordId,
            ContentType = ContentTypeOf(entry.RequestHeaders),
            RawBody = entry.RequestBody is null ? null : System.Text.Encoding.UTF8.GetBytes(entry.RequestBody),
            Started = Stopwatch.GetTimestamp(),
            Log = log,
            IsReplay = true,
        };
        return await pipeline.ReplayAsync(request, ct);
    }

    /// <summary>
    /// Why an inbound entry cannot be replayed, or null. Replay runs a request again without its (redacted)
    /// credentials, as staff, so it may only run requests the listener accepted as authenticated: the receiver
    /// answers 401 (no or wrong token) and 403 (listener disabled) before it checks anything else, so such an
    /// entry was never authenticated — replaying it would let a stranger's logged DELETE or POST through.
    /// </summary>
    public static string? NotReplayableReason(LogDirection direction, int status, string method, string? requestBody, int maxBodyChars, bool handshake = false) =>
        direction != LogDirection.Inbound ? "Only inbound requests can be replayed; redeliver outbound attempts instead."
        : handshake || method == "GET" ? "A handshake or GET carries no records; there is nothing to replay."
        : status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status405MethodNotAllowed
            ? $"The original request was refused with {status} before it was authenticated; only authenticated requests can be replayed."
        : status == 0 ? "The original request has no recorded answer, so it is not known to have been authenticated; it cannot be replayed."
        : method != "DELETE" && (requestBody is null || requestBody.Length >= maxBodyChars)
            ? "The logged body is missing or was cut at the log's size limit, so it cannot be replayed faithfully."
        : null;

    /// <summary>Sends the message of a logged outbound attempt again.</summary>
    public async Task<DeliveryView> RedeliverAsync(long id, CancellationToken ct = default)
    {
        await caller.RequireDeliveryActionAsync("redeliver messages");
        var entry = await FindAsync(id, ct);
        if (entry.Direction != LogDirection.Outbound || entry.DeliveryId is null)
        {
            throw new ConflictException("Only outbound attempts can be redelivered; replay inbound requests instead.");
        }

        return await deliveries.RedeliverAsync(entry.DeliveryId.Value, ct);
    }

    /// <summary>Handshake entries are marked by their note (see Handshakes).</summary>
    internal static bool IsHandshake(string? note) => note?.StartsWith("Handshake", StringComparison.Ordinal) == true;

    /// <summary>The original request's content type (a form body is replayed as a form), from its logged headers.</summary>
    internal static string? ContentTypeOf(string? loggedHeaders)
    {
        if (loggedHeaders is null)
        {
            return null;
        }

        var headers = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(loggedHeaders);
        return headers?.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;
    }

    private async Task<LogEntry> FindAsync(long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.LogEntries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"No log entry with id {id}.");
    }

    private static (string Path, Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Query) SplitPath(string pathAndQuery)
    {
        var index = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return index < 0
            ? (pathAndQuery, [])
            : (pathAndQuery[..index], QueryHelpers.ParseQuery(pathAndQuery[index..]));
    }
}
