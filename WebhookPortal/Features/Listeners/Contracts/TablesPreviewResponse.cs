namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// The tables a sample would generate, and the SQL generating them would run on this portal's database
/// (CREATE for new tables, ALTER for changed ones) with the data it would lose; nothing is created.
/// <c>Statements</c> is empty until a root key is picked (without one the tables cannot be created).
/// </summary>
public sealed record TablesPreviewResponse(IReadOnlyList<TableView> Tables, IReadOnlyList<string> Statements, IReadOnlyList<string> Losses, string Dialect);
