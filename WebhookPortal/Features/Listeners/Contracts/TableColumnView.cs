using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A column of a generated (or previewed) table.</summary>
/// <param name="Source">The JSON field (dot path in the record) the column is filled from.</param>
/// <param name="Json">An array of values kept as JSON text: its type is always Text.</param>
public sealed record TableColumnView(string Name, ColumnType Type, bool PrimaryKey, string? Source = null, bool Json = false);
