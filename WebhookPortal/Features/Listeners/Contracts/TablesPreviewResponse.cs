namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>The tables a sample would generate; nothing is created.</summary>
public sealed record TablesPreviewResponse(IReadOnlyList<TableView> Tables);
