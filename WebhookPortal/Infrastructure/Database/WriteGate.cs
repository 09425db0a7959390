using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// On SQLite, the portal's group-commit writers (the receiver, the publish writer, the attempt recorder) take turns at
/// the one write lock here, first come first served, instead of meeting at SQLite's lock: there the loser sleeps in
/// 1–100 ms steps (<see cref="SqliteBusyTimeout"/>) and may lose again to a writer that never pauses. On PostgreSQL,
/// whose writers run side by side, it lets everyone through. On SQLite the writers that take turns also share one
/// long-lived connection (<see cref="SqliteWriterConnection"/>), whose page cache their own commits keep valid.
/// </summary>
public sealed class WriteGate(bool takesTurns, SqliteWriterConnection? writerConnection = null) : IDisposable
{
    /// <summary>For hosts without a database set-up of their own (component tests): no turns.</summary>
    public static readonly WriteGate None = new(takesTurns: false);

    private readonly SemaphoreSlim turn = new(1, 1);

    /// <summary>The writers' shared connection (SQLite), for tests.</summary>
    internal SqliteWriterConnection? WriterConnection => takesTurns ? writerConnection : null;

    /// <summary>Whether writers take turns (SQLite).</summary>
    public bool TakesTurns => takesTurns;

    /// <summary>Waits for this writer's turn; disposing the answer ends it.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken ct = default)
    {
        if (!takesTurns)
        {
            return default;
        }

        await turn.WaitAsync(ct);
        return new Turn(turn);
    }

    /// <summary>
    /// The context a writer uses during its turn: on the writers' shared connection on SQLite, otherwise a new one from
    /// <paramref name="factory"/>. The shared connection serves one writer at a time, so it is refused outside a turn.
    /// </summary>
    public async ValueTask<PortalDbContext> CreateContextAsync(IDbContextFactory<PortalDbContext> factory)
    {
        if (writerConnection is null || !takesTurns)
        {
            return await factory.CreateDbContextAsync();
        }

        if (turn.CurrentCount != 0)
        {
            throw new InvalidOperationException("The writers' shared connection is used within a turn only (WriteGate.EnterAsync).");
        }

        return writerConnection.CreateContext();
    }

    /// <summary>
    /// Closes the writers' connection when the host stops, after the turn under way (if any) ends or 5 s have passed:
    /// the group-commit loops have drained by then unless they outran the host's shutdown timeout.
    /// </summary>
    public void Dispose()
    {
        var held = takesTurns && turn.Wait(TimeSpan.FromSeconds(5));
        writerConnection?.Dispose();
        if (held)
        {
            turn.Release();
        }
    }

    /// <summary>A writer's turn: ended when disposed.</summary>
    public readonly struct Turn(SemaphoreSlim? held) : IDisposable
    {
        public void Dispose() => held?.Release();
    }
}
