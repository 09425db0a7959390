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
/// <para>
/// A passive checkpoint never ends the log under a steady load: the writers append while it copies, so the log is
/// never all copied, and SQLite starts it again from its beginning only when it is. The file grew without end (2.8 GB
/// beside an 0.8 GB database after two minutes of ingest, issue 17). So once the log is larger than
/// Database:WalSizeLimitMiB, the checkpointer copies until little is left, then takes the writers' turn at the
/// <see cref="WriteGate"/> for a restarting checkpoint of the rest: the next commit writes from the log's beginning.
/// </para>
/// </summary>
public sealed class SqliteCheckpointer(string connectionString, IOptions<DatabaseOptions> options, ILogger<SqliteCheckpointer> logger, WriteGate? gate = null) : BackgroundService
{
    // Passive rounds before the writers are paused; each copies what they appended during the one before.
    private const int CatchUpRounds = 4;

    // What may be left to copy while the writers wait: a few MiB, a few milliseconds.
    private const int PausedFramesMax = 1_024;

    // How long the restart waits for readers still reading the log; the writers wait with it. Busy: the next tick tries again.
    private const int RestartBusyTimeoutMs = 200;

    private long runs;
    private long frames;
    private long restarts;

    /// <summary>Checkpoints run since the start.</summary>
    public long Runs => Interlocked.Read(ref runs);

    /// <summary>Log frames copied into the database file since the start.</summary>
    public long FramesCheckpointed => Interlocked.Read(ref frames);

    /// <summary>Times the log was started again from its beginning because it had outgrown Database:WalSizeLimitMiB.</summary>
    public long Restarts => Interlocked.Read(ref restarts);

    /// <summary>The writers' gate whose turn a restart takes (tests).</summary>
    internal WriteGate? Gate => gate;

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

    /// <summary>
    /// One passive checkpoint, which copies every log frame no reader still needs, and answers how many it copied; then,
    /// if the log has outgrown Database:WalSizeLimitMiB, the restart described on the class.
    /// </summary>
    public async Task<int> CheckpointAsync(CancellationToken ct = default)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        var first = await RunAsync(connection, "PASSIVE", ct);
        Interlocked.Increment(ref runs);
        Interlocked.Add(ref frames, first.Copied);

        // Read each time, not kept: a restored backup may bring another page size. One PRAGMA a tick.
        var pageSize = await ScalarAsync(connection, "PRAGMA page_size", ct);
        var limitFrames = options.Value.WalSizeLimitMiB * 1024L * 1024L / Math.Max(512, pageSize);
        if (first.Log <= limitFrames)
        {
            return first.Copied;
        }

        var last = first;
        for (var round = 0; round < CatchUpRounds && last.Log - last.Copied > PausedFramesMax; round++)
        {
            last = await RunAsync(connection, "PASSIVE", ct);
        }

        using (await (gate ?? WriteGate.None).EnterAsync(ct))
        {
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {RestartBusyTimeoutMs}", ct);
            try
            {
                last = await RunAsync(connection, "RESTART", ct);
            }
            finally
            {
                await ExecuteAsync(connection, $"PRAGMA busy_timeout = {SqliteBusyTimeout.Milliseconds}", ct);
            }
        }

        Interlocked.Add(ref frames, Math.Max(0, last.Copied - first.Copied));
        if (last.Busy)
        {
            logger.LogInformation("The SQLite write-ahead log ({Frames} frames) could not start again while readers read it; trying again in {Interval}.", last.Log, options.Value.CheckpointInterval);
        }
        else
        {
            Interlocked.Increment(ref restarts);
        }

        return first.Copied;
    }

    private readonly record struct CheckpointResult(bool Busy, int Log, int Copied);

    private static async Task<CheckpointResult> RunAsync(SqliteConnection connection, string mode, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode})";
        await using var reader = await command.ExecuteReaderAsync(ct);
        // busy, frames in the log, frames checkpointed (-1 and -1 when the database is not in WAL mode).
        return await reader.ReadAsync(ct)
            ? new CheckpointResult(reader.GetInt32(0) != 0, Math.Max(0, reader.GetInt32(1)), Math.Max(0, reader.GetInt32(2)))
            : default;
    }

    private static async Task<int> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed class AutomaticCheckpointOff : SqliteConnectionSetting
    {
        protected override int Set(SQLitePCL.sqlite3 handle) => SQLitePCL.raw.sqlite3_wal_autocheckpoint(handle, 0);

        protected override string Pragma => "PRAGMA wal_autocheckpoint = 0;";
    }
}
