namespace WebhookPortal.Features.Logs;

/// <summary>What the listener answered to a replayed request: its status and body.</summary>
public sealed record ReplayResponse(int Status, object Result);
