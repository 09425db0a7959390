namespace WebhookPortal.Features.Logs;

/// <summary>One page of a log search and the number of entries the search matched in all.</summary>
public sealed record LogPage(int Total, IReadOnlyList<LogItem> Items);
