namespace WebhookPortal.Features.Logs;

/// <summary>
/// A search of the log: filters (null or empty = any), newest first, one page of it. A page is either the
/// <see cref="Page"/>-th (offset paging, kept for existing clients) or the one after <see cref="Cursor"/>, the
/// <see cref="LogPage.Next"/> of the page before (keyset paging: as fast deep in the log as at its top, and no entry
/// is skipped or shown twice while new ones arrive).
/// </summary>
public sealed record LogQuery(string? Direction, string? Name, string? State, DateTime? From, DateTime? To, string? Q, Guid? IntegrationId, Guid? SourceId, int Page = 1, int PageSize = 50,
    string? Cursor = null);
