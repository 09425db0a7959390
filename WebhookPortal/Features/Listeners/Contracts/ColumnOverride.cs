using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// An admin's change to an inferred column: a new name, a new type, or both (null keeps what inference gave).
/// A renamed column is still filled from the same JSON field.
/// </summary>
public sealed record ColumnOverride(string? Name = null, ColumnType? Type = null);
