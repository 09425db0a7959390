using System.Collections;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using WebhookPortal.Infrastructure.Telemetry;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Infrastructure.Telemetry;

/// <summary>A real-time portal with tracing on and every finished span kept in memory.</summary>
public sealed class TracingPortalFactory : DeliveryPortalFactory
{
    public SpanLog Spans { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.UseSetting("Telemetry:TracingEnabled", "true");
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans)));
    }
}

/// <summary>The in-memory exporter's collection, safe to read while spans end on other threads.</summary>
public sealed class SpanLog : ICollection<Activity>
{
    private readonly List<Activity> spans = [];

    public int Count
    {
        get
        {
            lock (spans)
            {
                return spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public List<Activity> Snapshot()
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    public void Add(Activity item)
    {
        lock (spans)
        {
            spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (spans)
        {
            spans.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (spans)
        {
            return spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A listener request → its commit → the event it fires → each delivery attempt is one trace, and the receiver
/// gets that trace's <c>traceparent</c>. The exporter sees every test host's spans of the run: each test picks its
/// own by the listener's URL and follows the trace from there.
/// </summary>
public sealed class TracingTests(TracingPortalFactory portal) : IClassFixture<TracingPortalFactory>
{
    private async Task<(TestListener Listener, LoopbackReceiver Receiver)> SetupAsync(string? script)
    {
        var listener = await portal.CreateListenerAsync(sample: """[{"id":1,"name":"Deal"}]""", rootPath: "");
        var name = "Traced" + Guid.NewGuid().ToString("N")[..6];
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types",
            new { name, listenerId = listener.Id, actions = new[] { "insert" }, script, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        var receiver = await LoopbackReceiver.StartAsync();
        await (await portal.AsAdmin().PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = receiver.Url("/traced") })).ReadJsonAsync(HttpStatusCode.Created);
        return (listener, receiver);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("(record, action) => ({ id: record.id, action })")]
    public async Task A_listener_request_its_commit_the_event_and_the_delivery_attempt_share_one_trace_which_the_receiver_gets(string? script)
    {
        var (listener, receiver) = await SetupAsync(script);
        await using var _ = receiver;

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"id":7,"name":"Deal"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var delivered = Assert.Single(await receiver.WaitForAsync(1));

        // The request span (ASP.NET Core's), found by the listener's URL.
        var request = await Eventually.ValueAsync(
            () => Task.FromResult(portal.Spans.Snapshot().SingleOrDefault(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("url.path"), listener.HookPath))),
            a => a is not null, "the listener request's span");
        var trace = request!.TraceId;

        // The receiver got the trace's traceparent: 00-<trace id>-<span id of the HTTP call>-<flags>.
        var traceParent = delivered.Headers["traceparent"].Split('-');
        Assert.Equal(4, traceParent.Length);
        Assert.Equal(trace.ToHexString(), traceParent[1]);

        var spans = await Eventually.ValueAsync(() => Task.FromResult(portal.Spans.Snapshot().Where(a => a.TraceId == trace).ToList()),
            s => s.Any(a => a.OperationName == PortalTelemetry.AttemptSpan) && s.Any(a => a.Kind == ActivityKind.Client),
            "the delivery attempt's spans in the request's trace");
        var commit = Assert.Single(spans, a => a.OperationName == PortalTelemetry.CommitSpan);
        Assert.Equal(request.SpanId, commit.ParentSpanId);
        Assert.Equal(listener.Id.ToString(), commit.GetTagItem("listener.id"));
        var write = Assert.Single(spans, a => a.OperationName == PortalTelemetry.WriteSpan);
        Assert.Equal(commit.SpanId, write.ParentSpanId);
        var publish = Assert.Single(spans, a => a.OperationName == PortalTelemetry.PublishSpan);
        if (script is null)
        {
            // Staged in the writer's transaction.
            Assert.Equal(write.SpanId, publish.ParentSpanId);
        }
        else
        {
            // Staged as a pending event in the writer's transaction; its script ran after the commit, in a job.
            var scripted = Assert.Single(spans, a => a.OperationName == PortalTelemetry.EventScriptSpan);
            Assert.Equal(write.SpanId, scripted.ParentSpanId);
            Assert.Equal(scripted.SpanId, publish.ParentSpanId);
        }

        var attempt = Assert.Single(spans, a => a.OperationName == PortalTelemetry.AttemptSpan);
        Assert.Equal(publish.SpanId, attempt.ParentSpanId);
        Assert.Equal("delivered", attempt.GetTagItem("webhookportal.delivery.outcome"));
        var call = Assert.Single(spans, a => a.Kind == ActivityKind.Client && a.ParentSpanId == attempt.SpanId);
        Assert.Equal(call.SpanId.ToHexString(), traceParent[2]);
    }

    [Fact]
    public async Task The_traceparent_is_stored_with_the_delivery_so_an_attempt_anywhere_continues_the_trace()
    {
        var (listener, receiver) = await SetupAsync(script: null);
        await using var _ = receiver;

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"id":8,"name":"Deal"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var delivered = Assert.Single(await receiver.WaitForAsync(1));
        var trace = delivered.Headers["traceparent"].Split('-')[1];

        // The delivery row holds the publish span's context: no process memory is needed to continue the trace.
        var stored = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking()
            .Where(d => d.Url == receiver.Url("/traced")).Select(d => d.TraceParent).SingleAsync());
        Assert.NotNull(stored);
        var publish = Assert.Single(portal.Spans.Snapshot(), a => a.OperationName == PortalTelemetry.PublishSpan && a.TraceId.ToHexString() == trace);
        Assert.StartsWith($"00-{trace}-{publish.SpanId.ToHexString()}-", stored);

        // An attempt started from a row alone (as after a restart, or on another portal) is a child of that span.
        var fromRow = new WebhookPortal.Features.Deliveries.Delivery { Id = Guid.NewGuid(), TargetKind = WebhookPortal.Features.Deliveries.DeliveryTargetKind.Webhook, TargetName = "x", Url = "http://127.0.0.1/", TraceParent = stored };
        using (var attempt = PortalTelemetry.StartAttempt(fromRow, 1))
        {
            var current = Activity.Current;
            Assert.NotNull(current);
            Assert.Equal(trace, current.TraceId.ToHexString());
            Assert.Equal(publish.SpanId, current.ParentSpanId);
        }

        // A row without one (tracing was off when it was made) starts a trace of its own.
        fromRow.TraceParent = null;
        using (var attempt = PortalTelemetry.StartAttempt(fromRow, 1))
        {
            Assert.NotEqual(trace, Activity.Current!.TraceId.ToHexString());
            Assert.Equal(default, Activity.Current.ParentSpanId);
        }
    }
}
