namespace WebhookPortal.Features.Logs;

/// <summary>A search of the log: filters (null or empty = any), newest first, one page of it.</summary>
public sealed record LogQuery(string? Direction, string? Name, string? State, DateTime? From, DateTime? To, string? Q, Guid? IntegrationId, Guid? SourceId, int Page = 1, int PageSize = 50);
