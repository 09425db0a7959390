using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A column of a generated (or previewed) table.</summary>
public sealed record TableColumnView(string Name, ColumnType Type, bool PrimaryKey);
