namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>The outcome of one item: an HTTP status and the JSON answer; a failure rolls back the item's changes.</summary>
public sealed record WriteOutcome(int Status, object Body, string? Error)
{
    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>A repeat of an accepted delivery id: answered as the original, nothing applied, nothing counted.</summary>
    public bool Duplicate { get; init; }

    /// <summary>A handshake's plain-text answer (the body is then the text itself), else null for JSON.</summary>
    public string? TextContentType { get; init; }
}
