using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// SQLite only: copies the write-ahead log back into the database file in the background, every
/// Database:CheckpointInterval, instead of inside a writer's commit. SQLite's automatic checkpoint runs in the commit
/// that takes the log past 1,000 pages, holding the one write lock while it copies those pages and flushes the file:
/// the receiver's, the publish writer's or the attempt recorder's batch, and every request waiting for it, paid for it
/// (issue 17). The portal's connections therefore have the automatic checkpoint off (<see cref="Handover"/>), and this
/// service runs a passive checkpoint, which takes no write lock and waits for no reader, on a connection of its own.
/// </summary>
public sealed class SqliteCheckpointer(string connectionString, IOptions<DatabaseOptions> options, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    private long runs;
    private long frames;

    /// <summary>Checkpoints run since the start.</summary>
    public long Runs => Interlocked.Read(ref runs);

    /// <summary>Log frames copied into the database file since the start.</summary>
    public long FramesCheckpointed => Interlocked.Read(ref frames);

    /// <summary>Turns SQLite's automatic checkpoint off on each connection the portal opens (a pooled connection keeps it).</summary>
    public static readonly SqliteConnectionSetting Handover = new AutomaticCheckpointOff();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckpointAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The log only grows meanwhile; the next tick copies what this one could not (a file being replaced, a full disk).
                logger.LogWarning(ex, "Could not checkpoint the SQLite write-ahead log; trying again in {Interval}.", options.Value.CheckpointInterval);
            }
        }
    }

    /// <summary>One passive checkpoint: copies every log frame no reader still needs; answers how many it copied.</summary>
    public async Task<int> CheckpointAsync(CancellationToken ct = default)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var reader = await command.ExecuteReaderAsync(ct);
        // busy, frames in the log, frames checkpointed (-1 and -1 when the database is not in WAL mode).
        var copied = await reader.ReadAsync(ct) ? Math.Max(0, reader.GetInt32(2)) : 0;
        Interlocked.Increment(ref runs);
        Interlocked.Add(ref frames, copied);
        return copied;
    }

    private sealed class AutomaticCheckpointOff : SqliteConnectionSetting
    {
        protected override int Set(SQLitePCL.sqlite3 handle) => SQLitePCL.raw.sqlite3_wal_autocheckpoint(handle, 0);

        protected override string Pragma => "PRAGMA wal_autocheckpoint = 0;";
    }
}
