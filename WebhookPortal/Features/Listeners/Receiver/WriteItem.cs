using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Listeners.Receiver;

public sealed class WriteItem(Func<WriteContext, CancellationToken, Task<WriteOutcome>>? apply, LogEntry log)
{
    public Func<WriteContext, CancellationToken, Task<WriteOutcome>>? Apply { get; } = apply;

    public LogEntry Log { get; } = log;

    public TaskCompletionSource<WriteOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
