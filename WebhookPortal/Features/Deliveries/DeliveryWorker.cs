using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Telemetry;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Runs one attempt of one delivery (in its <see cref="DeliveryDispatcher"/> lane): claim the lease, send the signed request with
/// explicit timeouts, record the attempt as an outbound log entry, then decide with <see cref="RetryPolicy"/>.
/// </summary>
public sealed class DeliveryWorker(
    PortalDbContext db,
    IHttpClientFactory httpClients,
    IBackgroundJobClient jobs,
    IOptions<DeliveryOptions> options,
    IOptions<LogOptions> logOptions,
    TimeProvider time,
    IEnumerable<IDeliveryTarget> targets,
    DeliveryOutbox outbox,
    AttemptRecorder recorder,
    ILogger<DeliveryWorker> logger,
    WriteGate? gate = null)
{
    // The worker's own writes (a kept-back or cancelled delivery, a failure with its target's reaction) take their turn
    // with the group-commit writers on SQLite, which would otherwise hand the write lock to each other ahead of them.
    private readonly WriteGate writeGate = gate ?? WriteGate.None;

    public const string HttpClientName = "deliveries";

    /// <summary>The same client without connection reuse, for the one immediate second try on a fresh connection.</summary>
    public const string FreshConnectionClientName = "deliveries-fresh";

    /// <summary>The event type of the delivered message.</summary>
    public const string EventTypeHeader = "webhook-event-type";

    /// <summary>The attempt's number, 1 for the first.</summary>
    public const string AttemptHeader = "webhook-attempt";

    private readonly Dictionary<DeliveryTargetKind, IDeliveryTarget> targetByKind = targets.ToDictionary(t => t.Kind);

    // Every attempt runs this query: compiled once, it skips EF Core's per-call expression-tree work (issue 17, drain).
    // It also brings the delivery's webhook, when its target is one, tracked for the webhook target to find: a webhook
    // attempt used to read it in a second statement (~5 % of the drain's CPU with the first, on a connection whose page
    // cache the writers had just made stale). Ids are unique across tables, so another kind of target finds no webhook.
    private static readonly Func<PortalDbContext, Guid, CancellationToken, Task<AttemptRows>> LoadForAttempt =
        EF.CompileAsyncQuery((PortalDbContext db, Guid id, CancellationToken ct) =>
            (from d in db.Deliveries
             where d.Id == id
             join w in db.Webhooks on d.TargetId equals w.Id into webhooks
             from w in webhooks.DefaultIfEmpty()
             select new AttemptRows(d, d.Message!, w))
            .Single());

    /// <summary>
    /// How recent a share's rows read with its claim (<see cref="ClaimedRows"/>) must be for an attempt to use them
    /// instead of reading its own. Within it, a webhook changed by someone else meanwhile (disabled, a new URL) takes
    /// effect from the next attempt, as it does for an attempt already under way; a share slowed by a slow receiver
    /// reads again. Rows of a webhook that was failing or disabled when read, and the rest of a share after one of its
    /// attempts failed or was kept back, are always read again: the portal's own changes to a webhook's state are seen
    /// at once, as before.
    /// </summary>
    public static readonly TimeSpan ClaimedRowsFreshness = TimeSpan.FromSeconds(1);

    // Scheduled attempts wake slightly after they are due, never before.
    private static readonly TimeSpan SchedulingMargin = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a claim holds deliveries attempted one after another: each may take its connect and read timeouts, and
    /// the lease outlives them by 30 s. A portal that dies holding it leaves the deliveries to the sweep after it.
    /// Whole milliseconds, so that the stored lease equals this value on every database (PostgreSQL keeps microseconds)
    /// and a claim can be handed back by it.
    /// </summary>
    public static DateTime LeaseFrom(DateTime now, int attempts, DeliveryOptions policy)
    {
        var lease = now + (policy.ConnectTimeout + policy.ReadTimeout) * attempts + policy.LeaseMargin;
        return new DateTime(lease.Ticks - lease.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    /// <summary>Runs one attempt to its end: sent, recorded and committed, the next attempt scheduled.</summary>
    public async Task AttemptAsync(Guid deliveryId, CancellationToken ct = default) => await await StartAsync(deliveryId, ct);

    /// <summary>
    /// Runs one attempt up to its record: returns once the request is answered and its record handed over, with a task
    /// that completes when the record is committed (and the next attempt scheduled). The dispatcher's lane moves on to
    /// its next delivery meanwhile, so a lane's attempts do not wait for each other's commits; the delivery keeps its
    /// lease until that commit.
    /// </summary>
    /// <param name="claimed">The caller already holds the lease (the dispatcher claims a lane's next few at once).</param>
    /// <param name="rows">The delivery's rows read with that claim: used instead of a read of its own while they are recent.</param>
    public async Task<Task> StartAsync(Guid deliveryId, CancellationToken ct = default, bool claimed = false, ClaimedRows? rows = null)
    {
        var policy = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var lease = LeaseFrom(now, 1, policy);

        // Only one worker wins the lease of a due, pending delivery; the others stop here.
        // The claim and the attempt's record share their commit with the other attempts under way (AttemptRecorder).
        claimed = claimed || (recorder.IsRunning ? await recorder.ClaimAsync(deliveryId, now, lease) : await AttemptRecorder.ClaimDirectAsync(db, deliveryId, now, lease, ct) == 1);
        if (!claimed)
        {
            // Hangfire's scheduler may wake a few milliseconds early: a pending, unleased delivery that is
            // not due yet is put back for its time instead of waiting for the sweep.
            var early = await db.Deliveries.AsNoTracking()
                .Where(d => d.Id == deliveryId && d.State == DeliveryState.Pending && d.LeaseUntilUtc == null && d.NextAttemptUtc > now)
                .Select(d => new { d.NextAttemptUtc, d.TargetId })
                .FirstOrDefaultAsync(ct);
            if (early is not null)
            {
                Schedule(deliveryId, early.TargetId, early.NextAttemptUtc - now);
            }

            return Task.CompletedTask;
        }

        Delivery delivery;
        if (claimed && rows is not null && rows.Delivery.Id == deliveryId && now - rows.ReadAtUtc <= ClaimedRowsFreshness
            && !rows.Share.TargetMayHaveChanged && rows.Webhook is null or { Enabled: true, FailingSinceUtc: null, ProbeAfterUtc: null })
        {
            // Tracked from here as if this context had read them. Each row alone, not its graph: the message is only
            // read, and Attach's walk over the graph (with its fix-ups) was ~6 % of the drain's CPU (issue 17).
            delivery = rows.Delivery;
            db.Entry(delivery).State = EntityState.Unchanged;
            if (rows.Webhook is not null)
            {
                db.Entry(rows.Webhook).State = EntityState.Unchanged;
            }
        }
        else
        {
            delivery = (await LoadForAttempt(db, deliveryId, ct)).Delivery;
        }
        if (targetByKind.TryGetValue(delivery.TargetKind, out var gatekeeper) && await gatekeeper.AdmitAsync(db, delivery, ct) is { Kind: not AdmissionKind.Go } admission)
        {
            rows?.Share.MarkTargetMayHaveChanged();
            // Not attempted, so not counted: the lease and the attempt number go back.
            delivery.AttemptCount--;
            delivery.LeaseUntilUtc = null;
            delivery.UpdatedUtc = now;
            delivery.LastError = admission.Reason;
            if (admission.Kind == AdmissionKind.Hold)
            {
                delivery.State = DeliveryState.Held;
            }
            else
            {
                delivery.NextAttemptUtc = admission.Until ?? now;
            }

            using (await writeGate.EnterAsync(ct))
            {
                await db.SaveChangesAsync(ct);
            }

            try
            {
                if (!await gatekeeper.AdmissionStandsAsync(db, delivery, admission, ct))
                {
                    // The probe succeeded (or the webhook was enabled) since the admission: the release it triggered ran while
                    // this delivery held its lease and passed it by. Released now, with whatever else waits.
                    await outbox.ReleaseAsync(delivery.TargetKind, delivery.TargetId, ct);
                    return Task.CompletedTask;
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Saved as kept back, but whether that still stands is unknown (the sweep does not take held deliveries):
                // a release job, which Hangfire retries until it runs, makes sure none stays behind a target that has
                // recovered. A needless release only has the target's deliveries admitted again.
                logger.LogWarning(ex, "Delivery {DeliveryId}: could not check whether its target still keeps it back; a release is queued.", deliveryId);
                try
                {
                    jobs.Enqueue<DeliveryOutbox>(o => o.ReleaseAsync(delivery.TargetKind, delivery.TargetId, CancellationToken.None));
                }
                catch (Exception enqueueFailed)
                {
                    // Hangfire's storage is the same database on PostgreSQL: then the release waits for the minutely
                    // sweep, which releases held deliveries whose target no longer holds them; a waiting one goes at its time.
                    logger.LogWarning(enqueueFailed, "Delivery {DeliveryId}: the release could not be queued either; the sweep releases it once its target lets it go.", deliveryId);
                }

                return Task.CompletedTask;
            }

            if (admission.Kind == AdmissionKind.Wait)
            {
                Schedule(deliveryId, delivery.TargetId, delivery.NextAttemptUtc - now);
            }

            return Task.CompletedTask;
        }

        var target = await ResolveTargetAsync(delivery, ct);
        if (target is null)
        {
            delivery.State = DeliveryState.Cancelled;
            delivery.LastError = "The target was disabled or deleted before this attempt.";
            delivery.LeaseUntilUtc = null;
            delivery.UpdatedUtc = now;
            using (await writeGate.EnterAsync(ct))
            {
                await db.SaveChangesAsync(ct);
            }

            return Task.CompletedTask;
        }

        var attemptNumber = delivery.AttemptCount;
        using var attempt = PortalTelemetry.StartAttempt(delivery, attemptNumber);
        // The log entry is not added to this context: the recorder's plain record writes it by its own command, and
        // attaching it here (and detecting changes over it) was ~2 % of the drain's CPU (issue 17). Added below otherwise.
        var (outcome, log) = await SendAsync(delivery, target, attemptNumber, ct);
        if (!outcome.IsSuccess)
        {
            // Its reaction below may change the webhook (failing, disabled): the share's later attempts read it again.
            rows?.Share.MarkTargetMayHaveChanged();
        }

        var finished = time.GetUtcNow().UtcDateTime;
        var schedule = policy.ScheduleFor(target.RetrySchedule);
        var (verdict, next) = RetryPolicy.Decide(outcome, attemptNumber, schedule, finished, Random.Shared.NextDouble() * 2 - 1, policy.MaxRetryAfter);
        if (next is { } nextAt && outcome.RetryAfter is not null && schedule.HonoursRetryAfter)
        {
            // Shown on the attempt: the receiver chose when to come back.
            log.Error += $" Retry-After honoured: next attempt at {nextAt:yyyy-MM-dd HH:mm:ss} UTC.";
            delivery.LastError = log.Error;
        }
        delivery.LastStatus = outcome.Status;
        delivery.LastError = log.Error;
        delivery.LeaseUntilUtc = null;
        delivery.UpdatedUtc = finished;
        delivery.State = verdict switch
        {
            AttemptVerdict.Delivered => DeliveryState.Delivered,
            AttemptVerdict.Failed => DeliveryState.Failed,
            _ => DeliveryState.Pending,
        };
        attempt.Finish(verdict, outcome);
        if (next is { } at)
        {
            delivery.NextAttemptUtc = at;
        }

        LogOutcome(delivery, attemptNumber, verdict, next, log);

        // The target's own reaction to a failure (a webhook turning failing or disabled, a REST-hook subscriber answering
        // 410 Gone removed) commits in one transaction with the attempt: a webhook is never seen disabled without its
        // portal event. A success's reaction commits on its own first (the held backlog it releases starts at once from
        // another context, which this transaction would lock out on SQLite).
        using var turn = outcome.IsSuccess ? default : await writeGate.EnterAsync(ct);
        await using var transaction = outcome.IsSuccess ? null : await db.Database.BeginTransactionAsync(ct);
        if (targetByKind.TryGetValue(delivery.TargetKind, out var owner) && await owner.AfterAttemptAsync(db, delivery, outcome, ct) is { } error)
        {
            delivery.LastError = error;
            log.Error = error;
        }

        // What the target staged in reaction (a portal event's deliveries) commits with the attempt and starts after it.
        // Changes are detected once here; the recorder reads the same entries without detecting them again.
        db.ChangeTracker.DetectChanges();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var staged = db.ChangeTracker.Entries<Delivery>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        if (transaction is null && staged.Count == 0 && recorder.IsRunning)
        {
            return ScheduleAfterAsync(recorder.SaveAsync(db, log), deliveryId, delivery.TargetId, next, finished);
        }

        db.ChangeTracker.AutoDetectChangesEnabled = true;
        db.LogEntries.Add(log);
        await db.SaveChangesAsync(ct);
        if (transaction is not null)
        {
            await transaction.CommitAsync(ct);
        }

        owner?.AfterCommit(delivery);
        outbox.Dispatch(staged);
        await ScheduleAfterAsync(Task.CompletedTask, deliveryId, delivery.TargetId, next, finished);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Once the record is committed, the next attempt (if any) is handed to Hangfire for its time: woken before the
    /// commit, it would find the lease still held and wait for the sweep. Uses only singletons (it may outlive the scope).
    /// </summary>
    private async Task ScheduleAfterAsync(Task recorded, Guid deliveryId, Guid targetId, DateTime? next, DateTime finished)
    {
        await recorded;
        if (next is { } due)
        {
            Schedule(deliveryId, targetId, due - finished);
        }
    }

    /// <summary>
    /// One structured line per attempt: a receiver that is down, slow or answering 5xx is expected, so no stack trace
    /// (those are for the portal's own faults). Delivered attempts are Debug (the log page has them all).
    /// </summary>
    private void LogOutcome(Delivery delivery, int attempt, AttemptVerdict verdict, DateTime? next, LogEntry log)
    {
        var target = Redaction.Label(delivery.TargetName);
        switch (verdict)
        {
            case AttemptVerdict.Delivered:
                logger.LogDebug("Delivery {DeliveryId} to {Target}: attempt {Attempt} delivered ({Status}) in {DurationMs} ms.", delivery.Id, target, attempt, log.Status, log.DurationMs);
                break;
            case AttemptVerdict.Failed:
                logger.LogWarning("Delivery {DeliveryId} to {Target} failed for good after attempt {Attempt}: {Reason}", delivery.Id, target, attempt, log.Error);
                break;
            default:
                logger.LogInformation("Delivery {DeliveryId} to {Target}: attempt {Attempt} failed: {Reason} Next attempt at {NextAttempt:u}.", delivery.Id, target, attempt, log.Error, next);
                break;
        }
    }

    /// <summary>Hands the delivery to the dispatcher's lanes when its next attempt is due.</summary>
    private void Schedule(Guid deliveryId, Guid targetId, TimeSpan delay) =>
        jobs.Schedule<DeliveryDispatcher>(d => d.Queue(deliveryId, targetId), delay + SchedulingMargin);

    /// <summary>The target registered for the delivery's kind; an unknown kind gets nothing (the delivery is cancelled).</summary>
    private async Task<ResolvedTarget?> ResolveTargetAsync(Delivery delivery, CancellationToken ct)
    {
        if (targetByKind.TryGetValue(delivery.TargetKind, out var target))
        {
            return await target.ResolveAsync(db, delivery, ct);
        }

        logger.LogWarning("Delivery {DeliveryId} has an unknown target kind {Kind}.", delivery.Id, delivery.TargetKind);
        return null;
    }

    private async Task<(AttemptOutcome Outcome, LogEntry Log)> SendAsync(Delivery delivery, ResolvedTarget target, int attemptNumber, CancellationToken ct)
    {
        var policy = options.Value;
        var body = delivery.Message!.Payload;
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        // The message's id, not the delivery's: a retry, a redelivery and a recovery carry the same webhook-id, so receivers can de-duplicate.
        var messageId = "msg_" + delivery.MessageId.ToString("N");
        using var request = new HttpRequestMessage(new HttpMethod(delivery.Method), target.SendUrl ?? delivery.Url);
        foreach (var (name, value) in target.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("webhook-id", messageId);
        // What the delivery is, for receivers that route without parsing the body.
        request.Headers.TryAddWithoutValidation(EventTypeHeader, delivery.Message.EventType);
        request.Headers.TryAddWithoutValidation(AttemptHeader, attemptNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (target.Secret is not null)
        {
            // During a rotation's overlap both secrets sign, space-separated (Standard Webhooks), so receivers on either keep verifying.
            var signature = Signer.Sign(target.Secret, messageId, timestamp, body);
            if (target.PreviousSecret is not null)
            {
                signature += " " + Signer.Sign(target.PreviousSecret, messageId, timestamp, body);
            }

            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        }

        request.Headers.UserAgent.ParseAdd(policy.UserAgent);
        if (delivery.Method != "GET")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        // User-info goes and token-like query parameters are masked; the job callback's id is its claim-check secret.
        var loggedUrl = Redaction.Url(target.SendUrl ?? delivery.Url, target.SecretQueryParameter);

        var log = new LogEntry
        {
            TimeUtc = time.GetUtcNow().UtcDateTime,
            Direction = LogDirection.Outbound,
            IntegrationId = delivery.Message.IntegrationId,
            SourceId = delivery.TargetId,
            Name = Redaction.Label(target.Name),
            Method = delivery.Method,
            Path = loggedUrl,
            State = LogState.Error,
            DeliveryId = delivery.Id,
            Attempt = attemptNumber,
            EventType = delivery.Message.EventType,
            // Every custom header of the webhook is configured by an admin, usually as a credential: all are masked.
            RequestHeaders = Redaction.Headers(request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()), target.Headers.Keys),
            RequestBody = Redaction.Truncate(body, logOptions.Value.MaxBodyChars),
        };

        var started = Stopwatch.GetTimestamp();
        AttemptOutcome outcome;
        using var timeout = new AttemptTimer(policy.ConnectTimeout, policy.ReadTimeout, ct);
        request.Options.Set(AttemptTimer.Key, timeout);
        try
        {
            HttpResponseMessage sent;
            try
            {
                sent = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (HttpRequestException ex) when (DiedBeforeAnswering(ex))
            {
                // The connection closed before any answer (a receiver that closes kept-alive connections, a reset): the
                // receiver had no chance to answer, so this is tried once more at once on a fresh connection, in the same attempt.
                logger.LogInformation("Delivery {DeliveryId}: the connection closed before an answer ({Reason}); trying once more on a fresh connection.", delivery.Id, ex.HttpRequestError);
                using var again = Copy(request, body);
                sent = await httpClients.CreateClient(FreshConnectionClientName).SendAsync(again, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }

            using var response = sent;
            var responseBody = await ReadPrefixAsync(response.Content, policy.MaxResponseBodyBytes, timeout.Token);
            var status = (int)response.StatusCode;
            var retryAfter = status is 429 or 503 ? RetryAfter(response.Headers.RetryAfter, time.GetUtcNow()) : null;
            var error = response.IsSuccessStatusCode ? null
                : $"The receiver answered {status} {response.ReasonPhrase}." + (retryAfter is { } wait ? $" Retry-After: {wait.TotalSeconds:0} s." : "");
            outcome = new AttemptOutcome(status, error, RetryAfter: retryAfter);
            log.ResponseHeaders = Redaction.Headers(response.Headers.Concat(response.Content.Headers));
            log.ResponseBody = responseBody;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome = new AttemptOutcome(null, timeout.TimeoutMessage);
        }
        catch (HttpRequestException ex) when (FindGuard(ex) is { } guard)
        {
            // The recorded error (read by Support) names no address; the server's log keeps it for the operator.
            logger.LogWarning("Delivery {DeliveryId} refused by the URL guard: {Host} resolved to {Address}.", delivery.Id, request.RequestUri?.Host, guard.Address);
            outcome = new AttemptOutcome(null, guard.Message, Blocked: true);
        }
        catch (HttpRequestException ex)
        {
            outcome = new AttemptOutcome(null, "Connection failed: " + (ex.InnerException?.Message ?? ex.Message));
        }

        log.DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        log.Status = outcome.Status ?? 0;
        log.State = outcome.IsSuccess ? LogState.Success : LogState.Error;
        log.Error = outcome.Error;
        return (outcome, log);
    }

    /// <summary>Whether the connection ended before the receiver sent a single byte of an answer.</summary>
    private static bool DiedBeforeAnswering(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.ResponseEnded
        || (ex.HttpRequestError is HttpRequestError.Unknown or HttpRequestError.ConnectionError
            && ex.InnerException is IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionAborted } });

    /// <summary>The same request again (a sent HttpRequestMessage cannot be sent twice), with the attempt's timer.</summary>
    private static HttpRequestMessage Copy(HttpRequestMessage original, string body)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri);
        foreach (var header in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (original.Content is not null)
        {
            copy.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (original.Options.TryGetValue(AttemptTimer.Key, out var timer))
        {
            copy.Options.Set(AttemptTimer.Key, timer);
        }

        return copy;
    }

    /// <summary>A Retry-After header (seconds, or an HTTP date) as a delay from now.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - now,
        _ => null,
    };

    private static UrlGuardException? FindGuard(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is UrlGuardException guard)
            {
                return guard;
            }
        }

        return null;
    }

    private static async Task<string> ReadPrefixAsync(HttpContent content, int max, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        // Pooled: a new buffer of the whole limit for every attempt, mostly for a few bytes of answer, was ~8 % of what
        // the delivery path allocated (issue 17).
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var total = 0;
            while (total < max)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(total, max - total), ct);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What an attempt reads in one statement; the entities are tracked, so the delivery's message is fixed up on it.</summary>
    private sealed record AttemptRows(Delivery Delivery, Message Message, Webhooks.Webhook? Webhook);
}
