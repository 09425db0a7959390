using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>
/// The writer raises the record-change hook inside its transaction: a handler sees every accepted request, and a
/// handler that fails takes the request's data with it (no 2xx, no row).
/// </summary>
public sealed class RecordChangeHookTests
{
    /// <summary>Records what it saw; throws for the record ids it is told to.</summary>
    private sealed class ProbeHandler(ProbeLog log) : IRecordChangeHandler
    {
        public Task OnAcceptedAsync(AcceptedRequest accepted, CancellationToken ct)
        {
            if (log.FailFor == accepted.ListenerId)
            {
                throw new InvalidOperationException("probe handler refuses this listener");
            }

            log.Seen.Add(accepted);
            return Task.CompletedTask;
        }

        public void AfterCommit() => Interlocked.Increment(ref log.Commits);
    }

    private sealed class ProbeLog
    {
        public readonly System.Collections.Concurrent.ConcurrentBag<AcceptedRequest> Seen = [];
        public int Commits;
        public Guid? FailFor;
    }

    private sealed class ProbePortal(ProbeLog log) : PortalFactory
    {
        protected override void ConfigurePortal(IWebHostBuilder builder) =>
            builder.ConfigureTestServices(s => s.AddScoped<IRecordChangeHandler>(_ => new ProbeHandler(log)));
    }

    [Fact]
    public async Task Every_accepted_request_reaches_the_handlers_and_after_commit_runs()
    {
        var log = new ProbeLog();
        await using var portal = new ProbePortal(log);
        var listener = await portal.CreateListenerAsync();

        var response = await portal.Anonymous().SendAsync(ListenerFixtures.Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1,"name":"a"}]}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var seen = Assert.Single(log.Seen);
        Assert.Equal(listener.Id, seen.ListenerId);
        Assert.Equal(listener.IntegrationId, seen.IntegrationId);
        Assert.True(log.Commits >= 1);
    }

    [Fact]
    public async Task A_failing_handler_rolls_the_request_back_and_answers_no_2xx()
    {
        var log = new ProbeLog();
        await using var portal = new ProbePortal(log);
        var listener = await portal.CreateListenerAsync();
        log.FailFor = listener.Id;

        var response = await portal.Anonymous().SendAsync(ListenerFixtures.Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":7,"name":"b"}]}}"""));

        Assert.False(response.IsSuccessStatusCode, $"answered {(int)response.StatusCode}");
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        Assert.Empty(log.Seen);
    }

    [Theory]
    [InlineData("no token")]
    [InlineData("bad json")]
    public async Task A_request_refused_before_the_commit_reaches_no_handler_stores_nothing_and_is_logged(string refusal)
    {
        var log = new ProbeLog();
        await using var portal = new ProbePortal(log);
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header" });
        var request = ListenerFixtures.Json(HttpMethod.Post, listener.HookPath, refusal == "bad json" ? """{"data":{"items":[{"id":1""" : """{"data":{"items":[{"id":1,"name":"a"}]}}""");
        if (refusal == "bad json")
        {
            request.Headers.Add("X-Webhook-Token", listener.Token);
        }

        var response = await portal.Anonymous().SendAsync(request);

        Assert.Equal(refusal == "no token" ? HttpStatusCode.Unauthorized : HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(log.Seen);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var entry = await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(e => e.SourceId == listener.Id).ToListAsync()),
            entries => entries.Count == 1, "the refusal's log entry");
        Assert.Equal((int)response.StatusCode, entry[0].Status);
        Assert.Equal(WebhookPortal.Features.Logs.LogState.Error, entry[0].State);
    }
}
