using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners.Receiver;

namespace WebhookPortal.Infrastructure.Telemetry;

/// <summary>
/// The portal's own metrics and spans: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named
/// <c>WebhookPortal</c>, exported by the OpenTelemetry SDK (<see cref="TelemetrySetup"/>). The features call the
/// small methods below at their instrumentation points (a line each); without a listener every call is a cheap no-op.
/// The delivery backlog gauges need the database and live in <see cref="DeliveryBacklogMetrics"/>.
/// </summary>
public static class PortalTelemetry
{
    public const string Name = "WebhookPortal";

    // Instrument names (README, "Metrics and traces"). Prometheus shows them with '_' and a unit/_total suffix.
    public const string InboundRequestsName = "webhookportal.inbound.requests";
    public const string InboundDurationName = "webhookportal.inbound.duration";
    public const string WriterBatchSizeName = "webhookportal.writer.batch_size";
    public const string WriterCommitDurationName = "webhookportal.writer.commit.duration";
    public const string DeliveriesName = "webhookportal.deliveries";
    public const string DeliveryDurationName = "webhookportal.delivery.duration";
    public const string DeliveriesDueName = "webhookportal.deliveries.due";
    public const string OldestDueAgeName = "webhookportal.deliveries.oldest_due_age";
    public const string NotificationsFiredName = "webhookportal.notifications.fired";

    // Span names: listener request (ASP.NET Core) → commit → write (in the writer's batch) → publish → delivery attempt → HTTP client.
    public const string CommitSpan = "webhookportal.receiver.commit";
    public const string WriteSpan = "webhookportal.receiver.write";
    public const string PublishSpan = "webhookportal.publish";
    public const string EventScriptSpan = "webhookportal.event.script";
    public const string AttemptSpan = "webhookportal.delivery.attempt";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    // Seconds, from a millisecond to ten seconds (the SDK's default buckets are meant for milliseconds).
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly Counter<long> InboundRequests = Meter.CreateCounter<long>(InboundRequestsName, "{request}",
        "Listener requests, by listener, answered status code and outcome (success = 2xx).");

    public static readonly Histogram<double> InboundDuration = Meter.CreateHistogram(InboundDurationName, "s",
        "Time from a listener request's arrival to its answer (the commit included).", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Histogram<int> WriterBatchSize = Meter.CreateHistogram(WriterBatchSizeName, "{request}",
        "Requests committed together in one receiver transaction (group commit).", tags: null,
        new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    public static readonly Histogram<double> WriterCommitDuration = Meter.CreateHistogram(WriterCommitDurationName, "s",
        "Time the receiver writer took for one batch: every item's writes and the commit.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(DeliveriesName, "{attempt}",
        "Delivery attempts, by outcome (delivered, retrying, failed) and target kind (webhook, subscription, job).");

    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram(DeliveryDurationName, "s",
        "Time of one delivery attempt: the request to the receiver and its answer.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Counter<long> NotificationsFired = Meter.CreateCounter<long>(NotificationsFiredName, "{firing}",
        "Notification-rule thresholds that fired.");

    private static readonly ConcurrentDictionary<Guid, string> IdTags = new();
    private static readonly object[] StatusTags = Enumerable.Range(0, 600).Select(s => (object)s).ToArray();
    private static readonly object Zero = 0;

    /// <summary>
    /// Counts a listener request and its latency when the returned value is disposed (at the end of the request):
    /// <c>using var metered = PortalTelemetry.MeasureInbound(request);</c>. A struct: nothing is allocated.
    /// </summary>
    public static InboundMeasurement MeasureInbound(InboundRequest request) => new(request);

    /// <summary>Starts the span of a request's commit (the wait in the writer's queue and its batch), a child of the request span.</summary>
    public static Activity? StartCommit(InboundRequest request)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(CommitSpan);
        activity?.SetTag("listener.id", IdTag(request.Listener.Id));
        activity?.SetTag("listener.name", request.Listener.Name);
        activity?.SetTag("http.request.method", request.Method);
        return activity;
    }

    /// <summary>
    /// Starts the span of one item of the writer's batch, a child of the request's commit span: what the item's
    /// writes stage (events, deliveries) is created inside it and so carries the request's trace.
    /// </summary>
    public static Activity? StartWrite(WriteItem item, int batchSize)
    {
        if (item.Apply is null || item.Trace == default || !Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(WriteSpan, ActivityKind.Internal, item.Trace);
        activity?.SetTag("webhookportal.writer.batch_size", batchSize);
        return activity;
    }

    /// <summary>The outcome of a batch item, on its span.</summary>
    public static void Written(Activity? write, WriteOutcome outcome)
    {
        if (write is null)
        {
            return;
        }

        write.SetTag("webhookportal.write.status", StatusTag(outcome.Status));
        if (!outcome.Succeeded)
        {
            write.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }
    }

    /// <summary>One committed batch of the receiver writer.</summary>
    public static void RecordBatch(int size, long startedTimestamp)
    {
        WriterBatchSize.Record(size);
        if (WriterCommitDuration.Enabled)
        {
            WriterCommitDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
        }
    }

    /// <summary>A batch that could not be committed: its requests are answered 500 (counted so by <see cref="MeasureInbound"/>).</summary>
    public static void BatchFailed(WriteItem item) => item.Log.Status = StatusCodes.Status500InternalServerError;

    /// <summary>Starts the span of a message being staged (an event fired, a message published) around its deliveries.</summary>
    public static Activity? StartPublish(string eventType, Guid? integrationId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(PublishSpan, ActivityKind.Producer);
        activity?.SetTag("webhookportal.event_type", eventType);
        if (integrationId is { } id)
        {
            activity?.SetTag("webhookportal.integration.id", IdTag(id));
        }

        return activity;
    }

    /// <summary>
    /// The current span's W3C context (<c>traceparent</c>), stored on a new delivery or pending scripted event so
    /// that its attempts, whenever and wherever they run (after a restart, on another portal), continue that trace.
    /// Null when no span is running (tracing off).
    /// </summary>
    public static string? CurrentTraceParent => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>A new delivery, stamped with <see cref="CurrentTraceParent"/>.</summary>
    public static Delivery Traced(Delivery delivery)
    {
        delivery.TraceParent ??= CurrentTraceParent;
        return delivery;
    }

    /// <summary>A stored traceparent as a remote parent, or default (a new trace) when there is none or it does not parse.</summary>
    private static ActivityContext Parent(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;

    /// <summary>Starts the span of a pending event's payload script (a Hangfire job), continuing the trace of the request that staged it.</summary>
    public static Activity? StartEventScript(Features.Events.PendingEvent pending)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(EventScriptSpan, ActivityKind.Consumer, Parent(pending.TraceParent));
        activity?.SetTag("webhookportal.pending_event.id", pending.Id.ToString());
        return activity;
    }

    /// <summary>
    /// Starts one delivery attempt: a span whose parent is the context the delivery was created in (so the attempt's
    /// HTTP request, a child span, sends that trace's <c>traceparent</c>), and the clock of its duration metric.
    /// </summary>
    public static DeliveryAttempt StartAttempt(Delivery delivery, int attemptNumber)
    {
        Activity? activity = null;
        if (Source.HasListeners())
        {
            activity = Source.StartActivity(AttemptSpan, ActivityKind.Consumer, Parent(delivery.TraceParent));
            activity?.SetTag("webhookportal.delivery.id", delivery.Id.ToString());
            activity?.SetTag("webhookportal.delivery.attempt", attemptNumber);
            activity?.SetTag("webhookportal.target.kind", KindTag(delivery.TargetKind));
            activity?.SetTag("webhookportal.event_type", delivery.Message?.EventType);
        }

        return new DeliveryAttempt(activity, delivery.TargetKind, Stopwatch.GetTimestamp());
    }

    /// <summary>A notification rule's threshold (a percentage, as the rule shows it) fired: its firing row was inserted.</summary>
    public static void NotificationFired(Guid ruleId, decimal threshold)
    {
        if (NotificationsFired.Enabled)
        {
            NotificationsFired.Add(1, new TagList { { "rule.id", IdTag(ruleId) }, { "threshold", Features.Notifications.ThresholdCondition.Format(threshold) } });
        }
    }

    internal static void RecordInbound(InboundRequest request)
    {
        if (!InboundRequests.Enabled && !InboundDuration.Enabled)
        {
            return;
        }

        // 0: the request ended without an answer of the pipeline (the client went away, or the pipeline threw).
        var status = request.Log.Status;
        var tags = new TagList
        {
            { "listener.id", IdTag(request.Listener.Id) },
            { "listener.name", request.Listener.Name },
            { "http.response.status_code", StatusTag(status) },
            { "outcome", status is >= 200 and < 300 ? "success" : "error" },
        };
        InboundRequests.Add(1, in tags);
        InboundDuration.Record(Stopwatch.GetElapsedTime(request.Started).TotalSeconds, in tags);
    }

    internal static string KindTag(DeliveryTargetKind kind) => kind switch
    {
        DeliveryTargetKind.Webhook => "webhook",
        DeliveryTargetKind.Subscription => "subscription",
        DeliveryTargetKind.Job => "job",
        _ => "other",
    };

    // Guids as tag values without a string per measurement: listeners and rules are few.
    private static string IdTag(Guid id) => IdTags.GetOrAdd(id, static i => i.ToString());

    private static object StatusTag(int status) => status >= 0 && status < StatusTags.Length ? StatusTags[status] : Zero;

    /// <summary>Records <see cref="PortalTelemetry.InboundRequests"/> and <see cref="PortalTelemetry.InboundDuration"/> when disposed.</summary>
    public readonly struct InboundMeasurement(InboundRequest request) : IDisposable
    {
        public void Dispose() => RecordInbound(request);
    }

    /// <summary>A running delivery attempt: its span, and what its metrics need.</summary>
    public readonly struct DeliveryAttempt(Activity? activity, DeliveryTargetKind kind, long started) : IDisposable
    {
        public Activity? Activity => activity;

        /// <summary>Counts the attempt by its verdict and records its duration; the span gets the outcome.</summary>
        public void Finish(AttemptVerdict verdict, AttemptOutcome outcome)
        {
            var outcomeTag = verdict switch
            {
                AttemptVerdict.Delivered => "delivered",
                AttemptVerdict.Failed => "failed",
                _ => "retrying",
            };
            var tags = new TagList { { "outcome", outcomeTag }, { "target.kind", KindTag(kind) } };
            Deliveries.Add(1, in tags);
            if (DeliveryDuration.Enabled)
            {
                DeliveryDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, in tags);
            }

            if (activity is not null)
            {
                activity.SetTag("webhookportal.delivery.outcome", outcomeTag);
                if (outcome.Status is { } status)
                {
                    activity.SetTag("http.response.status_code", StatusTag(status));
                }

                if (!outcome.IsSuccess)
                {
                    activity.SetStatus(ActivityStatusCode.Error, outcome.Error);
                }
            }
        }

        public void Dispose() => activity?.Dispose();
    }
}
