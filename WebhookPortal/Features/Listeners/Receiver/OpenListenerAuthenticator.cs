namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary><see cref="ListenerAuthMethod.None"/>: the listener takes every request (an administrator's explicit choice).</summary>
public sealed class OpenListenerAuthenticator : IListenerAuthenticator
{
    public ListenerAuthMethod Method => ListenerAuthMethod.None;

    public string? Authenticate(InboundRequest request) => null;
}
