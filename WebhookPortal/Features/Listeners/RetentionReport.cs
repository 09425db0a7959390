namespace WebhookPortal.Features.Listeners;

public sealed record RetentionReport(int RecordsDeleted, int LogEntriesDeleted, IReadOnlyDictionary<string, int> RecordsDeletedByListener);
