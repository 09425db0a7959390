using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Features.ApiKeys;

/// <summary>
/// "Last used" of API keys, written in the background: a request only notes the time in memory, and every
/// <see cref="ApiKeyOptions.LastUsedFlushInterval"/> one UPDATE per key that was used is written, at most once a
/// minute per key. A request with a key is then a read (from <see cref="ApiKeyCache"/>, mostly), never a write.
/// Pending times are written when the portal stops; a crash loses at most one interval of "last used".
/// </summary>
public sealed class ApiKeyUsage(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, IOptions<ApiKeyOptions> options, ILogger<ApiKeyUsage> logger)
    : BackgroundService
{
    /// <summary>"Last used" is shown to the minute; writing it more often would only add writes.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<Guid, DateTime> pending = new();
    private readonly ConcurrentDictionary<Guid, DateTime> written = new();
    private readonly SemaphoreSlim flushing = new(1, 1);

    /// <summary>Notes a use of the key now; costs no I/O.</summary>
    public void Touch(Guid keyId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (written.TryGetValue(keyId, out var last) && now - last < Resolution)
        {
            return;
        }

        pending[keyId] = now;
    }

    /// <summary>Writes the pending uses: one UPDATE per key, skipped in the database when it is already that recent.</summary>
    public async Task<int> FlushAsync(CancellationToken ct = default)
    {
        await flushing.WaitAsync(ct);
        try
        {
            var writes = 0;
            foreach (var (id, used) in pending)
            {
                if (!pending.TryRemove(KeyValuePair.Create(id, used)))
                {
                    continue; // Touched again meanwhile: the newer time is written on the next round.
                }

                var notBefore = used - Resolution;
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                writes += await db.ApiKeys
                    .Where(k => k.Id == id && (k.LastUsedUtc == null || k.LastUsedUtc <= notBefore))
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedUtc, used), ct);
                written[id] = used;
            }

            return writes;
        }
        finally
        {
            flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LastUsedFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushQuietlyAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushQuietlyAsync(cancellationToken);
    }

    private async Task FlushQuietlyAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Only "last used" is late; the next round writes it.
            logger.LogWarning(ex, "Could not record the API keys' last use; trying again in {Interval}.", options.Value.LastUsedFlushInterval);
        }
    }
}
