using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Features.Listeners;

public sealed record RetentionReport(int RecordsDeleted, int LogEntriesDeleted, IReadOnlyDictionary<string, int> RecordsDeletedByListener);
