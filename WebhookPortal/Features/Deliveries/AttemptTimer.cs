namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// The two clocks of one attempt: connecting may take up to the connect timeout, and the read timeout
/// starts once a connection is there (a new one, reported by the handler's connect callback, or a
/// pooled one, from the start). So a receiver that accepts at once but answers late times out after
/// the read timeout, not after connect + read.
/// </summary>
public sealed class AttemptTimer : IDisposable
{
    public static readonly HttpRequestOptionsKey<AttemptTimer> Key = new("WebhookPortal.AttemptTimer");

    private readonly CancellationTokenSource source;
    private readonly TimeSpan connectTimeout;
    private readonly TimeSpan readTimeout;

    public AttemptTimer(TimeSpan connectTimeout, TimeSpan readTimeout, CancellationToken stopping)
    {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        source.CancelAfter(readTimeout);
    }

    public CancellationToken Token => source.Token;

    /// <summary>True while a new connection is being made: a timeout then is a connect timeout.</summary>
    public bool Connecting { get; private set; }

    public static AttemptTimer? Of(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Key, out var timer) ? timer : null;

    public void ConnectStarted()
    {
        Connecting = true;
        CancelAfter(connectTimeout + readTimeout);
    }

    public void ConnectFinished()
    {
        Connecting = false;
        CancelAfter(readTimeout);
    }

    public string TimeoutMessage => Connecting
        ? $"Could not connect within the connect timeout of {connectTimeout.TotalSeconds:0.#} s."
        : $"Timed out: no answer within the read timeout of {readTimeout.TotalSeconds:0.#} s.";

    private void CancelAfter(TimeSpan delay)
    {
        try
        {
            source.CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over; a late callback of its connection changes nothing.
        }
    }

    public void Dispose() => source.Dispose();
}
