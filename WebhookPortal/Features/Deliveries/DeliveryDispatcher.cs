using Microsoft.Extensions.Options;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Runs attempts off Hangfire's workers, in one lane per target: at most Delivery:MaxConcurrencyPerTarget attempts to
/// one receiver at a time and Delivery:MaxConcurrency in all, with async I/O. A receiver that answers slowly (or not at
/// all, until the read timeout) fills only its own lane; deliveries to every other receiver keep flowing.
/// Hangfire still decides <em>when</em> (it calls <see cref="Queue"/> for due and scheduled attempts); the lanes decide
/// <em>how many at once</em>. A lane is a queue of delivery ids with at most that many runners draining it, so a backlog
/// of pending deliveries costs a few dozen bytes each, not a task and a semaphore wait each. The lanes live in memory:
/// after a crash the delivery rows are still pending and the sweep hands them over again, and the worker's lease keeps
/// an attempt to one instance.
/// </summary>
public sealed class DeliveryDispatcher(IServiceScopeFactory scopes, AttemptRecorder recorder, IOptions<DeliveryOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<DeliveryDispatcher> logger) : IHostedService
{
    /// <summary>
    /// The most deliveries one runner claims at once. Claiming is a round trip through the recorder's commit; taken a
    /// few at a time, a busy lane pays it once per few attempts. Kept small so that a lane's share stays fair among its
    /// runners and a lease never covers long.
    /// </summary>
    public const int ClaimAhead = 8;

    private readonly Lock gate = new();
    private readonly Dictionary<Guid, Lane> lanes = [];
    private readonly HashSet<Guid> queued = [];

    // Of the queued, those whose attempt has started, by target; and those handed over again meanwhile (a release that
    // ran while the attempt held its lease): queued again once the attempt is over, not dropped as a duplicate.
    private readonly Dictionary<Guid, Guid> attempting = [];
    private readonly HashSet<Guid> again = [];
    private readonly SemaphoreSlim total = new(options.Value.MaxConcurrency);
    private readonly HashSet<Task> running = [];
    private readonly HashSet<Task> runners = [];
    private volatile bool started;

    /// <summary>Deliveries waiting in a lane or being attempted in this process.</summary>
    public int InFlight
    {
        get
        {
            lock (gate)
            {
                return queued.Count;
            }
        }
    }

    /// <summary>
    /// Whether this process runs the lanes (the host started it): committed deliveries are then handed over in process
    /// instead of through a Hangfire job each. Hosts without the background services keep the Hangfire hand-over.
    /// </summary>
    public bool IsRunning => started && !lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>
    /// Puts a due delivery in its target's lane and returns at once (Hangfire's job for scheduled attempts, and the
    /// in-process hand-over after a commit). A delivery already waiting in this process (the sweep found it again) is not
    /// queued twice; one whose attempt is under way is queued again when that is over (its claim then decides).
    /// </summary>
    public void Queue(Guid deliveryId, Guid targetId)
    {
        Lane? startRunner = null;
        lock (gate)
        {
            if (!queued.Add(deliveryId))
            {
                if (attempting.ContainsKey(deliveryId))
                {
                    again.Add(deliveryId);
                }

                return;
            }

            if (!lanes.TryGetValue(targetId, out var lane))
            {
                lanes[targetId] = lane = new Lane();
            }

            lane.Waiting.Enqueue(deliveryId);
            if (lane.Runners < options.Value.MaxConcurrencyPerTarget)
            {
                lane.Runners++;
                startRunner = lane;
            }
        }

        if (startRunner is not null)
        {
            var runner = Task.Run(() => RunLaneAsync(targetId, startRunner));
            lock (gate)
            {
                runners.Add(runner);
            }

            runner.ContinueWith(
                done =>
                {
                    lock (gate)
                    {
                        runners.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// One of a lane's runners: takes the lane's next few deliveries (its share of what waits, at most
    /// <see cref="ClaimAhead"/>), claims them in one go, attempts them one after another, until the lane is empty.
    /// While it attempts one share, the next one's claim is already under way: the claim waits for the recorder's
    /// commit (a few milliseconds, as long as the share's attempts), and overlapped it no longer adds to them.
    /// </summary>
    private async Task RunLaneAsync(Guid targetId, Lane lane)
    {
        var stopping = lifetime.ApplicationStopping;
        var stopSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStop = stopping.Register(() => stopSignal.TrySetResult());
        List<Guid>? next = null;
        Task<Claimed>? nextClaim = null;
        while (true)
        {
            List<Guid> taken;
            Task<Claimed> claim;
            if (next is not null && nextClaim is not null)
            {
                (taken, claim) = (next, nextClaim);
                (next, nextClaim) = (null, null);
            }
            else
            {
                taken = Take(targetId, lane, stopping, leaveWhenEmpty: true);
                if (taken.Count == 0)
                {
                    return;
                }

                claim = ClaimAsync(taken, 0);
            }

            // One claim for the lot: the lease covers them attempted in turn. Without the recorder, each attempt claims its own.
            if (await ClaimedOrForgottenAsync(claim, taken) is not { } claimed)
            {
                continue;
            }

            var following = Take(targetId, lane, stopping, leaveWhenEmpty: false);
            if (following.Count > 0)
            {
                (next, nextClaim) = (following, ClaimAsync(following, taken.Count));
            }

            for (var i = 0; i < taken.Count; i++)
            {
                // Once the portal stops, claimed ones not yet started are handed back (lease lifted, attempt number
                // restored) instead of attempted: a runner holding two shares to a slow receiver would otherwise outlast
                // the shutdown timeout. Unclaimed ones are left to the sweep.
                if (stopping.IsCancellationRequested)
                {
                    await HandBackRestAsync(taken, i, claimed, next, nextClaim);
                    (next, nextClaim) = (null, null);
                    break;
                }

                var deliveryId = taken[i];
                var mine = claimed.Won?.Contains(deliveryId) == true;
                var attempt = AttemptInTurnAsync(deliveryId, targetId, mine ? claimed.Lease : null, mine ? claimed.Rows?.GetValueOrDefault(deliveryId) : null, stopping);
                var stoppedMeanwhile = await Task.WhenAny(attempt, stopSignal.Task) != attempt;
                if (stoppedMeanwhile)
                {
                    // The stop came while this one waited for a slot or was under way: the rest goes back now, not once
                    // this attempt is over (it may take its whole connect and read timeouts).
                    await HandBackRestAsync(taken, i + 1, claimed, next, nextClaim);
                    (next, nextClaim) = (null, null);
                }

                if (!await attempt)
                {
                    // Claimed, but the stop came before it had a slot: handed back like the rest.
                    await HandBackAsync([deliveryId], claimed.Lease);
                }

                if (stoppedMeanwhile)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// At a stop: the share's deliveries from <paramref name="from"/> on that this runner won are handed back, the others
    /// forgotten (the sweep takes them after the restart), and so is the next share once its claim is in.
    /// </summary>
    private async Task HandBackRestAsync(List<Guid> taken, int from, Claimed claimed, List<Guid>? next, Task<Claimed>? nextClaim)
    {
        var rest = taken.Skip(from).ToList();
        await HandBackWonAsync(rest, claimed);
        if (next is null || nextClaim is null)
        {
            return;
        }

        if (await ClaimedOrForgottenAsync(nextClaim, next) is { } nextClaimed)
        {
            await HandBackWonAsync(next, nextClaimed);
        }
    }

    /// <summary>A share's claim, or null when it failed: then the share is forgotten here and the sweep takes it again.</summary>
    private async Task<Claimed?> ClaimedOrForgottenAsync(Task<Claimed> claim, List<Guid> share)
    {
        try
        {
            return await claim;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not claim {Count} deliveries; the sweep will take them again.", share.Count);
            Forget(share);
            return null;
        }
    }

    private async Task HandBackWonAsync(List<Guid> deliveryIds, Claimed claimed)
    {
        var won = deliveryIds.Where(id => claimed.Won?.Contains(id) == true).ToList();
        Forget(deliveryIds.Except(won));
        if (won.Count > 0)
        {
            await HandBackAsync(won, claimed.Lease);
        }
    }

    private async Task HandBackAsync(List<Guid> deliveryIds, DateTime lease)
    {
        try
        {
            await recorder.HandBackAsync(deliveryIds, lease);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not hand back {Count} claimed deliveries at stop; their leases run out and the sweep takes them.", deliveryIds.Count);
        }
        finally
        {
            Forget(deliveryIds);
        }
    }

    /// <summary>
    /// The runner's next share of the lane. Nothing when it is empty or the portal stops; then, if
    /// <paramref name="leaveWhenEmpty"/>, the runner leaves the lane (the last one out drops it: what still waits stays
    /// pending in the database and is taken up after the restart).
    /// </summary>
    private List<Guid> Take(Guid targetId, Lane lane, CancellationToken stopping, bool leaveWhenEmpty)
    {
        var taken = new List<Guid>(ClaimAhead);
        lock (gate)
        {
            var share = Math.Clamp(lane.Waiting.Count / options.Value.MaxConcurrencyPerTarget, 1, ClaimAhead);
            while (!stopping.IsCancellationRequested && taken.Count < share && lane.Waiting.TryDequeue(out var next))
            {
                taken.Add(next);
            }

            if (taken.Count == 0 && leaveWhenEmpty)
            {
                lane.Runners--;
                if (lane.Runners == 0)
                {
                    foreach (var left in lane.Waiting)
                    {
                        queued.Remove(left);
                    }

                    lanes.Remove(targetId);
                }
            }
        }

        return taken;
    }

    /// <summary>Claims a share; <paramref name="ahead"/> attempts come before it in this runner, so its lease covers them too. None won without the recorder (each attempt claims its own).</summary>
    private async Task<Claimed> ClaimAsync(List<Guid> taken, int ahead)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lease = DeliveryWorker.LeaseFrom(now, ahead + taken.Count, options.Value);
        if (!recorder.IsRunning)
        {
            return new Claimed(null, lease, null);
        }

        var (won, rows) = await recorder.ClaimAndReadAsync(taken, now, lease);
        return new Claimed(won, lease, rows);
    }

    /// <summary>What a runner's claim won, the lease it set on them, and their rows read with it.</summary>
    private readonly record struct Claimed(IReadOnlySet<Guid>? Won, DateTime Lease, IReadOnlyDictionary<Guid, ClaimedRows>? Rows);

    /// <summary>
    /// Waits for a slot of the total concurrency, then starts the attempt and waits for its answer. False when the
    /// delivery was claimed (<paramref name="lease"/> is its claim's) but the stop came before it had its slot: the
    /// caller hands it back.
    /// </summary>
    private async Task<bool> AttemptInTurnAsync(Guid deliveryId, Guid targetId, DateTime? lease, ClaimedRows? rows, CancellationToken stopping)
    {
        var claimed = lease is not null;
        var handedOver = false;
        try
        {
            await total.WaitAsync(stopping);
            try
            {
                if (stopping.IsCancellationRequested)
                {
                    // The slot and the stop came together: not started, so not attempted.
                    return !claimed;
                }

                if (lease is { } held)
                {
                    var renewed = await LeaseForAttemptAsync(deliveryId, held);
                    if (renewed is null)
                    {
                        return true; // another instance holds it now: theirs to attempt
                    }

                    if (renewed != held)
                    {
                        rows = null; // read with the claim, before the renewal changed the lease: read again
                    }

                    if (stopping.IsCancellationRequested)
                    {
                        // The stop came during the renewal: handed back here, by the lease it now has.
                        await HandBackAsync([deliveryId], renewed.Value);
                        return true;
                    }
                }

                lock (gate)
                {
                    attempting[deliveryId] = targetId;
                }

                // Once started, an attempt runs to its end even when the portal stops (StopAsync waits for it): cut
                // off, it would keep its lease and wait out the lease after the restart instead of its retry time.
                // The runner waits for the answer, not for the record's commit (Track follows that).
                var attempt = StartAttemptAsync(deliveryId, claimed, rows);
                Track(deliveryId, attempt.Unwrap());
                handedOver = true;
                await attempt;
            }
            finally
            {
                total.Release();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !handedOver)
        {
            // Shutting down before it had a slot: a claimed one is handed back, an unclaimed one is still pending in the
            // database and is taken up after the restart.
            return !claimed;
        }
        catch (Exception)
        {
            // Logged once by Track, which sees the same failure.
        }
        finally
        {
            if (!handedOver)
            {
                Forget([deliveryId]);
            }
        }

        return true;
    }

    /// <summary>
    /// A claim's lease counts the timeouts of the attempts before it, not a long wait for a slot of
    /// Delivery:MaxConcurrency. When little of it is left, it is renewed first: if it ran out and another instance
    /// claimed the delivery meanwhile, the renewal fails and this one does not send it a second time (this claim's count
    /// stays, as a crashed instance's does). Answers the lease the attempt runs under, or null when it is not ours.
    /// </summary>
    private async Task<DateTime?> LeaseForAttemptAsync(Guid deliveryId, DateTime lease)
    {
        var policy = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        if (lease - now >= policy.ConnectTimeout + policy.ReadTimeout + policy.LeaseMargin / 2)
        {
            return lease;
        }

        try
        {
            var renewed = DeliveryWorker.LeaseFrom(now, 1, policy);
            if (await recorder.RenewAsync(deliveryId, lease, renewed))
            {
                return renewed;
            }

            logger.LogInformation("Delivery {DeliveryId}: its claim ran out while it waited for a slot and it was claimed again elsewhere; not attempted here.", deliveryId);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Delivery {DeliveryId}: could not renew its claim; the sweep takes it again.", deliveryId);
        }

        return null;
    }

    private void Forget(IEnumerable<Guid> deliveryIds)
    {
        List<(Guid Id, Guid TargetId)> requeue = [];
        lock (gate)
        {
            foreach (var id in deliveryIds)
            {
                queued.Remove(id);
                if (attempting.Remove(id, out var targetId) && again.Remove(id))
                {
                    requeue.Add((id, targetId));
                }
            }
        }

        foreach (var (id, targetId) in requeue)
        {
            Queue(id, targetId);
        }
    }

    /// <summary>
    /// Follows an attempt to its committed record: until then the delivery counts as in flight here (the sweep cannot
    /// queue it twice) and a stop waits for it.
    /// </summary>
    private void Track(Guid deliveryId, Task attempt)
    {
        lock (gate)
        {
            running.Add(attempt);
        }

        attempt.ContinueWith(done =>
        {
            if (done.Exception is { } ex)
            {
                // A fault of the portal's own (the database, a bug): the delivery stays pending and the sweep takes it again after its lease.
                logger.LogError(ex.InnerException ?? ex, "The attempt of delivery {DeliveryId} failed inside the portal; the sweep will take it again.", deliveryId);
            }

            lock (gate)
            {
                running.Remove(attempt);
            }

            Forget([deliveryId]);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<Task> StartAttemptAsync(Guid deliveryId, bool claimed, ClaimedRows? rows)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeliveryWorker>().StartAsync(deliveryId, CancellationToken.None, claimed, rows);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        started = true;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stopping: deliveries still waiting in a lane are left (they hold no lease; the sweep at the next start takes them),
    /// attempts under way are awaited, up to the host's shutdown timeout.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The runners first: each finishes the attempt it has started and hands back the rest of what it claimed.
        Task[] underway;
        lock (gate)
        {
            underway = [.. runners];
        }

        try
        {
            await Task.WhenAll(underway).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        lock (gate)
        {
            underway = [.. running];
        }

        try
        {
            await Task.WhenAll(underway).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Stopped with {Count} delivery attempts still under way; their leases expire and the sweep retries them.", underway.Count(t => !t.IsCompleted));
        }
        catch (Exception)
        {
            // An attempt's own failure was logged where it ran.
        }
    }

    private sealed class Lane
    {
        /// <summary>Deliveries waiting for one of the lane's runners, oldest first.</summary>
        public Queue<Guid> Waiting { get; } = new();

        /// <summary>Runners draining this lane (at most Delivery:MaxConcurrencyPerTarget); at 0 the lane is dropped.</summary>
        public int Runners { get; set; }
    }
}
