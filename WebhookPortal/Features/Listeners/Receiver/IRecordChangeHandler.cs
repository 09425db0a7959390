using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// What other features do when a listener request changed records (usage meters, event triggers), raised by the
/// group-commit writer inside its transaction so that what they stage (e.g. outbox deliveries) commits with the
/// data or not at all. Handlers are resolved from the writer's scope, once per batch, and share its
/// <c>PortalDbContext</c> and transaction; <see cref="AfterCommit"/> runs once the batch committed.
/// </summary>
public interface IRecordChangeHandler
{
    /// <summary>One accepted request's changes, inside the writer's transaction. Throwing fails the batch.</summary>
    Task OnAcceptedAsync(AcceptedRequest accepted, CancellationToken ct);

    /// <summary>After the batch committed: start what was staged (must not throw; a sweep picks up what is lost).</summary>
    void AfterCommit();
}
