using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Scripting;
using WebhookPortal.Infrastructure.Telemetry;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// The whole inbound path, top to bottom: find the listener → authenticate → read the body → parse →
/// transform (the listener's script) → commit through the group-commit writer. Each step either hands the
/// <see cref="InboundRequest"/> on or refuses it; a refusal changes no data, but its log entry is still written.
/// A 2xx is answered only after the data committed (docs/compatibility.md#listener-semantics).
/// </summary>
public sealed class InboundPipeline(
    ListenerDirectory listeners,
    IEnumerable<IListenerAuthenticator> authenticators,
    ScriptSandbox scripts,
    ReceiverWriter writer,
    IOptions<ListenerOptions> listenerOptions,
    IOptions<LogOptions> logOptions,
    TimeProvider time)
{
    private readonly Dictionary<ListenerAuthMethod, IListenerAuthenticator> authenticatorByMethod = authenticators.ToDictionary(a => a.Method);

    /// <summary>A request that arrived at <c>/hooks/{integrationId}/{listenerId}[/{recordId}]</c>.</summary>
    public async Task<WriteOutcome> ReceiveAsync(HttpContext http, Guid integrationId, Guid listenerId, string? recordId)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = http.RequestAborted;

        // 1. Find the listener. Unknown URLs are not logged: anyone could fill the log with them.
        var listener = await listeners.GetAsync(listenerId, ct);
        if (listener is null || listener.IntegrationId != integrationId)
        {
            return ReceiverErrors.Problem(StatusCodes.Status404NotFound, "Not found.", "No listener at this URL.");
        }

        using var request = new InboundRequest
        {
            Listener = listener,
            Method = http.Request.Method.ToUpperInvariant(),
            Headers = http.Request.Headers,
            Query = http.Request.Query,
            ContentType = http.Request.ContentType,
            RecordId = recordId,
            Started = started,
            Log = NewLogEntry(listener, http.Request),
        };
        using var metered = PortalTelemetry.MeasureInbound(request);

        if (!listener.Enabled)
        {
            return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status403Forbidden, "The listener is disabled.", "This listener is disabled and accepts no requests."), ct);
        }

        // Handshakes that senders make before they sign anything (Meta's hub challenge, Microsoft Graph's validation).
        if (Handshakes.BeforeAuthentication(request) is { } handshake)
        {
            return await HandshakeAsync(request, handshake, ct);
        }

        if (request.Method == "GET")
        {
            return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status405MethodNotAllowed, "Method not allowed.",
                listener.Handshake == ListenerHandshake.HubChallenge
                    ? "A GET is a hub challenge and needs hub.mode=subscribe, hub.challenge and hub.verify_token."
                    : "Send records with POST, PUT, PATCH or DELETE."), ct);
        }

        // 2. Authenticate, with the strategy registered for the listener's method (none registered: refused).
        //    Signatures cover the raw body, so those read it (bounded) first.
        authenticatorByMethod.TryGetValue(listener.AuthMethod, out var authenticator);
        var limit = listenerOptions.Value.MaxBodyBytes;
        if (authenticator is { NeedsBody: true } && request.Method != "DELETE")
        {
            request.RawBody = await ReadBodyAsync(http.Request, limit, ct);
            if (request.RawBody is null)
            {
                return await RefuseAsync(request, TooLarge(limit), ct);
            }
        }

        var failure = authenticator is not null
            ? authenticator.Authenticate(request)
            : $"The listener's authentication method '{listener.AuthMethod}' is not available.";
        if (failure is not null)
        {
            return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status401Unauthorized, "Unauthorized.", failure), ct);
        }

        // 3. Read the body, bounded by the listener limit (never buffers more than the limit).
        if (request.Method != "DELETE")
        {
            if (!BodyFormats.IsAccepted(request.ContentType))
            {
                return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type.",
                    $"Send the records with one of these content types: {string.Join(", ", BodyFormats.Accepted)}.",
                    new Dictionary<string, object?> { ["accepted"] = BodyFormats.Accepted }), ct);
            }

            request.RawBody ??= await ReadBodyAsync(http.Request, limit, ct);
            if (request.RawBody is null)
            {
                return await RefuseAsync(request, TooLarge(limit), ct);
            }

            // Slack signs its url_verification, so it is answered only once the signature holds.
            if (Handshakes.AfterAuthentication(request) is { } challenge)
            {
                return await HandshakeAsync(request, challenge, ct);
            }
        }

        return await ProcessAsync(request, ct);
    }

    /// <summary>
    /// A logged request run again by staff (Replay): it was authenticated when it first arrived, so it starts
    /// at parsing. The caller builds the request with its own log entry.
    /// </summary>
    public async Task<WriteOutcome> ReplayAsync(InboundRequest request, CancellationToken ct) => await ProcessAsync(request, ct);

    private static WriteOutcome TooLarge(int limit) =>
        ReceiverErrors.Problem(StatusCodes.Status413PayloadTooLarge, "The body is too large.", $"The body exceeds the listener limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes.");

    /// <summary>A handshake answer: logged as a success with a note, nothing stored.</summary>
    private async Task<WriteOutcome> HandshakeAsync(InboundRequest request, HandshakeAnswer answer, CancellationToken ct)
    {
        request.Log.Note = answer.Note;
        if (request.RawBody is { } raw && request.Log.RequestBody is null)
        {
            request.Log.RequestBody = Redaction.Truncate(Encoding.UTF8.GetString(raw), logOptions.Value.MaxBodyChars);
        }

        return await RefuseAsync(request, answer.Outcome, ct);
    }

    /// <summary>The request-log entry of a request to <paramref name="listener"/>, with its secrets redacted.</summary>
    public LogEntry NewLogEntry(ListenerSnapshot listener, HttpRequest http) => new()
    {
        TimeUtc = time.GetUtcNow().UtcDateTime,
        Direction = LogDirection.Inbound,
        IntegrationId = listener.IntegrationId,
        SourceId = listener.Id,
        Name = listener.Name,
        Method = http.Method,
        Path = Redaction.PathAndQuery(http, SecretName(listener)),
        State = LogState.Error,
        RequestHeaders = Redaction.Headers(http.Headers, [SecretName(listener)]),
    };

    private async Task<WriteOutcome> ProcessAsync(InboundRequest request, CancellationToken ct)
    {
        // Logged before anything can refuse it: a request refused for want of tables can be replayed once they exist
        // (and its body is the sample to generate them from).
        if (request.Method != "DELETE")
        {
            request.Log.RequestBody = Redaction.Truncate(Encoding.UTF8.GetString(request.RawBody ?? []), logOptions.Value.MaxBodyChars);
        }

        var schema = request.Listener.Schema;
        if (schema is null)
        {
            return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status409Conflict, "The listener has no tables.", "Generate the listener's tables from a JSON sample first."), ct);
        }

        if (request.Method == "DELETE")
        {
            return await CommitDeleteAsync(request, schema, ct);
        }

        // 4. Parse.
        try
        {
            // A form body becomes a flat JSON object and goes on like any JSON body.
            var json = BodyFormats.IsForm(request.ContentType) ? BodyFormats.FormToJson(request.RawBody ?? []) : request.RawBody ?? [];
            request.Body = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return await RefuseAsync(request, ReceiverErrors.Problem(StatusCodes.Status400BadRequest, "The body is not valid JSON.", ex.Message), ct);
        }

        // 5. Transform: the listener's script sees the body and the request (secrets redacted) and returns the body to store.
        if (request.Listener.Script is { } script && Transform(request, script) is { } rejected)
        {
            return await RefuseAsync(request, rejected, ct);
        }

        // 6. Map to the listener's tables and commit.
        List<JsonElement> records;
        try
        {
            records = SchemaInference.RecordsAt(request.Body.RootElement, schema.RootPath, "body");
        }
        catch (PortalException ex)
        {
            return await RefuseAsync(request, ReceiverErrors.FromException(ex, NullLogger.Instance), ct);
        }

        return await CommitUpsertAsync(request, schema, records, ct);
    }

    /// <summary>Runs the listener's script; null when it returned a body (now in <see cref="InboundRequest.Body"/>), else the refusal.</summary>
    private WriteOutcome? Transform(InboundRequest request, string script)
    {
        var requestJson = JsonSerializer.Serialize(new
        {
            method = request.Method,
            headers = request.Log.RequestHeaders is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(request.Log.RequestHeaders),
            query = request.Query.ToDictionary(q => q.Key, q => Redaction.IsSecretParameter(q.Key, SecretName(request.Listener)) ? Redaction.Mask : q.Value.ToString()),
        });
        string? transformed;
        try
        {
            transformed = scripts.Run(script, request.Body!.RootElement.GetRawText(), requestJson);
        }
        catch (ScriptException ex)
        {
            return ReceiverErrors.Problem(StatusCodes.Status422UnprocessableEntity, "The listener script rejected the request.", ex.Message);
        }

        if (transformed is null)
        {
            return ReceiverErrors.Problem(StatusCodes.Status422UnprocessableEntity, "The listener script rejected the request.", "The script returned no body.");
        }

        request.Body!.Dispose();
        request.Body = JsonDocument.Parse(transformed);
        return null;
    }

    private Task<WriteOutcome> CommitUpsertAsync(InboundRequest request, TableSchema schema, List<JsonElement> records, CancellationToken ct)
    {
        var listener = request.Listener;
        var lastModified = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        return CommitAsync(request, async (context, token) =>
        {
            var store = new RecordWriter(context.Connection, context.Transaction, context.Dialect, listener.Id, schema) { Changes = listener.HasEvents ? context.Changes : null, Commands = context.Commands };
            var summary = WriteSummary.None;
            foreach (var record in records)
            {
                if (request.Method == "PATCH")
                {
                    var patched = await store.PatchAsync(record, lastModified, token);
                    if (patched is null)
                    {
                        return ReceiverErrors.Problem(StatusCodes.Status404NotFound, "Not found.", "PATCH updates an existing record; no record has this key.");
                    }

                    summary = summary.Add(patched);
                }
                else
                {
                    summary = summary.Add(await store.UpsertAsync(record, lastModified, token));
                }
            }

            return Summary(summary);
        }, ct);
    }

    private async Task<WriteOutcome> CommitDeleteAsync(InboundRequest request, TableSchema schema, CancellationToken ct)
    {
        Dictionary<string, string> keys;
        try
        {
            keys = DeleteKeys(request.Query, schema, request.RecordId);
        }
        catch (RecordValidationException ex)
        {
            return await RefuseAsync(request, ReceiverErrors.FromException(ex, NullLogger.Instance), ct);
        }

        var listener = request.Listener;
        return await CommitAsync(request, async (context, token) =>
        {
            var store = new RecordWriter(context.Connection, context.Transaction, context.Dialect, listener.Id, schema) { Changes = listener.HasEvents ? context.Changes : null, Commands = context.Commands };
            var deleted = await store.DeleteAsync(keys, token);
            return deleted == 0
                ? ReceiverErrors.Problem(StatusCodes.Status404NotFound, "Not found.", "No record has this key.")
                : Summary(new WriteSummary(0, 0, deleted));
        }, ct);
    }

    /// <summary>Hands the write to the group-commit writer; the answer is recorded on the log entry in the same transaction.</summary>
    private async Task<WriteOutcome> CommitAsync(InboundRequest request, Func<WriteContext, CancellationToken, Task<WriteOutcome>> apply, CancellationToken ct)
    {
        using var commit = PortalTelemetry.StartCommit(request);
        var log = request.Log;
        var maxBody = logOptions.Value.MaxBodyChars;
        log.DurationMs = (long)Stopwatch.GetElapsedTime(request.Started).TotalMilliseconds;
        var idempotency = IdempotencyOf(request);
        return await writer.WriteAsync(new WriteItem(async (context, token) =>
        {
            // The sender's delivery id is claimed in the item's savepoint: a refused request releases it, and a
            // repeat (in this batch, or on another portal) waits for the first to commit and then finds it.
            log.Duplicate = false;
            if (idempotency is { } key && await IdempotencyStore.ClaimAsync(context, key.Hash, time.GetUtcNow(), request.Listener.IdempotencyWindow, token) is { } original)
            {
                log.Duplicate = true;
                log.Note = $"Duplicate: {key.Header} '{(key.Value.Length > 100 ? key.Value[..100] + "…" : key.Value)}' was accepted within the last {request.Listener.IdempotencyWindow.ToString("c", CultureInfo.InvariantCulture)}; answered {original.ToString(CultureInfo.InvariantCulture)} without applying it again.";
                var duplicate = new WriteOutcome(original, new { inserted = 0, updated = 0, deleted = 0, duplicate = true }, null) { Duplicate = true };
                log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(duplicate.Body), maxBody);
                return duplicate;
            }

            var outcome = await apply(context, token);
            log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(outcome.Body), maxBody);
            return outcome;
        }, log), ct);
    }

    /// <summary>A refused request changes nothing, but its log entry still goes through the single writer.</summary>
    private async Task<WriteOutcome> RefuseAsync(InboundRequest request, WriteOutcome outcome, CancellationToken ct)
    {
        var log = request.Log;
        log.Status = outcome.Status;
        log.Error = outcome.Error;
        log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(outcome.Body), logOptions.Value.MaxBodyChars);
        log.DurationMs = (long)Stopwatch.GetElapsedTime(request.Started).TotalMilliseconds;
        await writer.WriteAsync(new WriteItem(null, log), ct);
        return outcome;
    }

    /// <summary>The request's idempotency key: the listener names a header and the request carries it (replays never do).</summary>
    private static (string Header, string Value, byte[] Hash)? IdempotencyOf(InboundRequest request)
    {
        if (request.IsReplay || request.Listener.IdempotencyHeader is not { } header || request.Headers[header].ToString() is not { Length: > 0 } value)
        {
            return null;
        }

        return (header, value, IdempotencyStore.Hash(request.Listener.Id, value));
    }

    private static WriteOutcome Summary(WriteSummary summary) =>
        new(StatusCodes.Status200OK, new { inserted = summary.Inserted, updated = summary.Updated, deleted = summary.Deleted }, null);

    // The listener's token name is masked as a header and as a query parameter, wherever the token is read from
    // today: a sender that puts it in the other place (or a listener switched to no auth) still leaks nothing.
    private static string? SecretName(ListenerSnapshot listener) => listener.TokenName;

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is larger (never buffers more).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // The usual case: the size is announced, so the body is read into an array of exactly that size (no 16 KB
            // buffer cleared and copied per request). Kestrel ends the body at Content-Length.
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, ct);
            return body;
        }

        var buffer = new ArrayBufferWriter<byte>(Math.Min(limit + 1, 16 * 1024));
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await request.Body.ReadAsync(memory, ct);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }

    private static Dictionary<string, string> DeleteKeys(IQueryCollection query, TableSchema schema, string? recordId)
    {
        var keys = schema.KeyColumns;
        var values = new Dictionary<string, string>();
        if (recordId is not null)
        {
            if (keys.Count != 1)
            {
                throw new RecordValidationException(string.Join(",", keys.Select(k => k.Name)),
                    $"The key is composite ({string.Join(", ", keys.Select(k => k.Name))}): delete with ?{string.Join("=..&", keys.Select(k => k.Name))}=.. instead.");
            }

            values[keys[0].Name] = recordId;
            return values;
        }

        foreach (var key in keys)
        {
            var value = query[key.Name].ToString();
            if (string.IsNullOrEmpty(value))
            {
                throw new RecordValidationException(key.Name, $"The key field '{key.Name}' is required to delete a record (as /{{recordId}} or ?{key.Name}=).");
            }

            values[key.Name] = value;
        }

        return values;
    }
}
