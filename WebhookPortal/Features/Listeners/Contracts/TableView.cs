namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A generated (or previewed) table: its name, its parent table if it holds a child array, its columns.</summary>
public sealed record TableView(string Name, string? Parent, IReadOnlyList<TableColumnView> Columns);
