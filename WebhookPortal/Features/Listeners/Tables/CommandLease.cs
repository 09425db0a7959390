using System.Data.Common;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// A command for one statement: disposed after use when it was created for it, kept when it belongs to
/// the batch's <see cref="CommandCache"/>. A struct, so the write path allocates nothing for it.
/// </summary>
internal readonly record struct CommandLease(DbCommand Command, bool Owned) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owned ? Command.DisposeAsync() : ValueTask.CompletedTask;
}
