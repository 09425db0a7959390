using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Tests.Support;

/// <summary>Cluster signals in a test: what a cache published, and its subscriptions, to play another portal's signal.</summary>
public sealed class RecordingClusterSignals : IClusterSignals
{
    public Dictionary<string, (Action<string> OnSignal, Action OnReset)> Subscribers { get; } = [];

    public List<(string Topic, string Payload)> Published { get; } = [];

    public void Publish(string topic, string payload) => Published.Add((topic, payload));

    public void Subscribe(string topic, Action<string> onSignal, Action onReset) => Subscribers[topic] = (onSignal, onReset);
}
