using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <c>/hooks/{integrationId}/{listenerId}[/{recordId}]</c>: authenticate, read a bounded body, validate,
/// then hand the write to the group-commit writer. A 2xx is sent only after the data committed.
/// A disabled listener answers 403 (it exists, but takes nothing) and stores nothing.
/// </summary>
public static class ReceiverEndpoint
{
    public static IEndpointRouteBuilder MapReceiverEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/hooks/{integrationId:guid}/{listenerId:guid}")
            .WithTags("Receiver")
            .AllowAnonymous()
            .DisableAntiforgery();
        hooks.MapMethods("/", ["POST", "PUT", "PATCH", "DELETE"], Receive).WithName("ReceiveRecords");
        hooks.MapDelete("/{recordId}", ReceiveDelete).WithName("DeleteRecord");
        return app;
    }

    private static Task<IResult> ReceiveDelete(HttpContext http, Guid integrationId, Guid listenerId, string recordId, ListenerDirectory listeners, ReceiverWriter writer, ScriptSandbox scripts, IOptions<ListenerOptions> options, IOptions<LogOptions> logOptions, TimeProvider time) =>
        Receive(http, integrationId, listenerId, listeners, writer, scripts, options, logOptions, time, recordId);

    private static async Task<IResult> Receive(HttpContext http, Guid integrationId, Guid listenerId, ListenerDirectory listeners, ReceiverWriter writer, ScriptSandbox scripts, IOptions<ListenerOptions> options, IOptions<LogOptions> logOptions, TimeProvider time, string? recordId = null)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = http.RequestAborted;
        var listener = await listeners.GetAsync(listenerId, ct);
        if (listener is null || listener.IntegrationId != integrationId)
        {
            // Unknown URLs are not logged: anyone could fill the log with them.
            return Answer(ReceiverErrors.Problem(StatusCodes.Status404NotFound, "Not found.", "No listener at this URL."));
        }

        var maxBody = logOptions.Value.MaxBodyChars;
        var log = new LogEntry
        {
            TimeUtc = time.GetUtcNow().UtcDateTime,
            Direction = LogDirection.Inbound,
            IntegrationId = listener.IntegrationId,
            SourceId = listener.Id,
            Name = listener.Name,
            Method = http.Request.Method,
            Path = Redaction.PathAndQuery(http.Request, ConfiguredSecretName(listener)),
            State = LogState.Error,
            RequestHeaders = Redaction.Headers(http.Request.Headers, [ConfiguredSecretName(listener)]),
        };

        // A refused request changes nothing, but its log entry still goes through the single writer.
        async Task<IResult> RefuseAsync(WriteOutcome outcome)
        {
            log.Status = outcome.Status;
            log.Error = outcome.Error;
            log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(outcome.Body), maxBody);
            log.DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await writer.WriteAsync(new WriteItem(null, log), ct);
            return Answer(outcome);
        }

        if (!listener.Enabled)
        {
            return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status403Forbidden, "The listener is disabled.", "This listener is disabled and accepts no requests."));
        }

        if (!TokenMatches(http.Request, listener))
        {
            return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status401Unauthorized, "Unauthorized.", "The token is missing or wrong."));
        }

        var method = http.Request.Method.ToUpperInvariant();
        byte[]? content = null;
        if (method != "DELETE")
        {
            if (!IsJson(http.Request.ContentType))
            {
                return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type.", "Send the records as JSON with 'Content-Type: application/json'."));
            }

            var limit = options.Value.MaxBodyBytes;
            content = await ReadBodyAsync(http.Request, limit, ct);
            if (content is null)
            {
                return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status413PayloadTooLarge, "The body is too large.", $"The body exceeds the listener limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes."));
            }
        }

        return Answer(await ProcessAsync(writer, scripts, listener, method, content, recordId, http.Request.Query, log, started, maxBody, time, ct));
    }

    /// <summary>
    /// Everything after authentication: validate, map and write through the group-commit writer. Used by the
    /// receiver and by Replay, which re-runs a logged request.
    /// </summary>
    public static async Task<WriteOutcome> ProcessAsync(
        ReceiverWriter writer, ScriptSandbox scripts, ListenerSnapshot listener, string method, byte[]? content, string? recordId, IQueryCollection query, LogEntry log, long started, int maxBody, TimeProvider time, CancellationToken ct)
    {
        async Task<WriteOutcome> RefuseAsync(WriteOutcome outcome)
        {
            log.Status = outcome.Status;
            log.Error = outcome.Error;
            log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(outcome.Body), maxBody);
            log.DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await writer.WriteAsync(new WriteItem(null, log), ct);
            return outcome;
        }

        var schema = listener.Schema;
        if (schema is null)
        {
            return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status409Conflict, "The listener has no tables.", "Generate the listener's tables from a JSON sample first."));
        }

        if (method == "DELETE")
        {
            Dictionary<string, string> keys;
            try
            {
                keys = DeleteKeys(query, schema, recordId);
            }
            catch (RecordValidationException ex)
            {
                return await RefuseAsync(ReceiverErrors.FromException(ex, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
            }

            var deleteItem = new WriteItem(async (context, token) =>
            {
                var store = new RecordStore(context.Connection, context.Transaction, context.Dialect, listener.Id, schema) { Changes = listener.HasEvents ? context.Changes : null, Commands = context.Commands };
                var deleted = await store.DeleteAsync(keys, token);
                return deleted == 0
                    ? ReceiverErrors.Problem(StatusCodes.Status404NotFound, "Not found.", "No record has this key.")
                    : Summary(new WriteSummary(0, 0, deleted));
            }, log);
            return await WriteAsync(writer, deleteItem, log, started, maxBody, ct);
        }

        var text = Encoding.UTF8.GetString(content ?? []);
        log.RequestBody = Redaction.Truncate(text, maxBody);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content ?? [], new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status400BadRequest, "The body is not valid JSON.", ex.Message));
        }

        if (listener.Script is { } script)
        {
            // The listener's script sees the body and the request (secrets redacted) and returns the body to store.
            var requestJson = JsonSerializer.Serialize(new
            {
                method,
                headers = log.RequestHeaders is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(log.RequestHeaders),
                query = query.ToDictionary(q => q.Key, q => Redaction.IsSecretParameter(q.Key, ConfiguredSecretName(listener)) ? Redaction.Mask : q.Value.ToString()),
            });
            string? transformed;
            try
            {
                transformed = scripts.Run(script, document.RootElement.GetRawText(), requestJson);
            }
            catch (ScriptException ex)
            {
                document.Dispose();
                return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status422UnprocessableEntity, "The listener script rejected the request.", ex.Message));
            }

            document.Dispose();
            if (transformed is null)
            {
                return await RefuseAsync(ReceiverErrors.Problem(StatusCodes.Status422UnprocessableEntity, "The listener script rejected the request.", "The script returned no body."));
            }

            document = JsonDocument.Parse(transformed);
        }

        List<JsonElement> records;
        try
        {
            records = SchemaInference.RecordsAt(document.RootElement, schema.RootPath, "body");
        }
        catch (Exception ex) when (ex is Infrastructure.Errors.PortalException)
        {
            document.Dispose();
            return await RefuseAsync(ReceiverErrors.FromException(ex, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        }

        var lastModified = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var item = new WriteItem(async (context, token) =>
        {
            var store = new RecordStore(context.Connection, context.Transaction, context.Dialect, listener.Id, schema) { Changes = listener.HasEvents ? context.Changes : null, Commands = context.Commands };
            var summary = WriteSummary.None;
            foreach (var record in records)
            {
                if (method == "PATCH")
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
        }, log);

        try
        {
            return await WriteAsync(writer, item, log, started, maxBody, ct);
        }
        finally
        {
            document.Dispose();
        }
    }

    private static WriteOutcome Summary(WriteSummary summary) =>
        new(StatusCodes.Status200OK, new { inserted = summary.Inserted, updated = summary.Updated, deleted = summary.Deleted }, null);

    private static async Task<WriteOutcome> WriteAsync(ReceiverWriter writer, WriteItem item, LogEntry log, long started, int maxBody, CancellationToken ct)
    {
        log.DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return await writer.WriteAsync(WithResponseLog(item, maxBody), ct);
    }

    /// <summary>Records the answer on the log entry before the writer stores it.</summary>
    private static WriteItem WithResponseLog(WriteItem item, int maxBody) => new(async (context, token) =>
    {
        var outcome = await item.Apply!(context, token);
        item.Log.ResponseBody = Redaction.Truncate(JsonSerializer.Serialize(outcome.Body), maxBody);
        return outcome;
    }, item.Log);

    public static IResult Answer(WriteOutcome outcome) => Results.Json(
        outcome.Body,
        statusCode: outcome.Status,
        contentType: outcome.Body is ProblemDetails ? "application/problem+json" : "application/json");

    /// <summary>The query parameter that carries the listener's token, when it reads it from the query.</summary>
    // The listener's token name is masked as a header and as a query parameter, wherever the token is read from
    // today: a sender that puts it in the other place (or a listener switched to no auth) still leaks nothing.
    private static string? ConfiguredSecretName(ListenerSnapshot listener) => listener.TokenName;

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is larger (never buffers more).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
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

    private static bool TokenMatches(HttpRequest request, ListenerSnapshot listener)
    {
        if (listener.AuthMethod == ListenerAuthMethod.None)
        {
            return true;
        }

        if (listener.TokenHash is null)
        {
            return false;
        }

        string? presented = listener.TokenLocation switch
        {
            TokenLocation.Header => request.Headers[listener.TokenName ?? ListenerService.DefaultTokenHeader].ToString(),
            TokenLocation.Query => request.Query[listener.TokenName ?? "token"].ToString(),
            _ => FromAuthorization(request.Headers.Authorization.ToString(), listener.TokenPrefix),
        };

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(ListenerService.HashToken(presented), listener.TokenHash);
    }

    private static string? FromAuthorization(string header, string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return header.Trim();
        }

        return header.StartsWith(prefix + " ", StringComparison.OrdinalIgnoreCase) ? header[(prefix.Length + 1)..].Trim() : null;
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
