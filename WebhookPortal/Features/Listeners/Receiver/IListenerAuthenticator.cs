namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// Proves that a request comes from the listener's System of Record, for one <see cref="ListenerAuthMethod"/>.
/// One class per method, registered in <see cref="ListenersSetup"/>: a new verification method (a provider's
/// signature) is a new class, not a new branch in the pipeline.
/// </summary>
public interface IListenerAuthenticator
{
    ListenerAuthMethod Method { get; }

    /// <summary>Signatures cover the raw body: the pipeline reads it (bounded) before authenticating.</summary>
    bool NeedsBody => false;

    /// <summary>Null when the request is authentic; otherwise why not (shown to the caller and logged, never the expected value).</summary>
    string? Authenticate(InboundRequest request);
}
