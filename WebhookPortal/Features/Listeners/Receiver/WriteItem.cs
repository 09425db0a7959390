using WebhookPortal.Features.Logs;

namespace WebhookPortal.Features.Listeners.Receiver;

public sealed class WriteItem(Func<WriteContext, CancellationToken, Task<WriteOutcome>>? apply, LogEntry log)
{
    public Func<WriteContext, CancellationToken, Task<WriteOutcome>>? Apply { get; } = apply;

    public LogEntry Log { get; } = log;

    public TaskCompletionSource<WriteOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The span the item was queued in (the request's commit), continued by the writer.</summary>
    public System.Diagnostics.ActivityContext Trace { get; } = System.Diagnostics.Activity.Current?.Context ?? default;
}
