using System.Text.Json;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// One request to a listener URL as it passes through <see cref="InboundPipeline"/>: each step reads what the
/// previous one left (the raw body, then the parsed and transformed body) and the log entry records the outcome.
/// </summary>
public sealed class InboundRequest : IDisposable
{
    /// <summary>The listener as the receiver sees it (cached, immutable).</summary>
    public required ListenerSnapshot Listener { get; init; }

    /// <summary>Upper-case HTTP method: POST, PUT, PATCH or DELETE (GET only for a hub challenge).</summary>
    public required string Method { get; init; }

    public required IHeaderDictionary Headers { get; init; }

    public required IQueryCollection Query { get; init; }

    public string? ContentType { get; init; }

    /// <summary>The key from <c>/hooks/…/{recordId}</c>, for DELETE.</summary>
    public string? RecordId { get; init; }

    /// <summary>The body as received (bounded by the listener's limit); null for DELETE.</summary>
    public byte[]? RawBody { get; set; }

    /// <summary>The parsed body, replaced by the script's result when the listener has a script.</summary>
    public JsonDocument? Body { get; set; }

    /// <summary>The request's log entry, written by the group-commit writer with the outcome.</summary>
    public required LogEntry Log { get; init; }

    /// <summary>Run again by staff from the log: authenticated when it first arrived, and never a duplicate of itself.</summary>
    public bool IsReplay { get; init; }

    /// <summary>When the request started (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for the logged duration.</summary>
    public long Started { get; init; }

    public void Dispose() => Body?.Dispose();
}
