using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A connection that dies before the receiver could answer is the portal's problem, not the receiver's: it is tried once
/// more at once on a fresh connection, inside the same attempt.
/// </summary>
public sealed class DeliveryConnectionTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    /// <summary>A raw HTTP/1.1 server that hangs up on the first <paramref name="hangUps"/> connections once it has read a request, then answers 200.</summary>
    private sealed class HangingUpReceiver : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Task loop;
        private int connections;

        public HangingUpReceiver(int hangUps)
        {
            listener.Start();
            loop = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await listener.AcceptTcpClientAsync(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    var number = Interlocked.Increment(ref connections);
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            var stream = client.GetStream();
                            var buffer = new byte[65536];
                            var read = 0;
                            // Until the end of the headers; the small JSON body comes in the same packets or is ignored.
                            while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                            {
                                var n = await stream.ReadAsync(buffer.AsMemory(read));
                                if (n == 0)
                                {
                                    return;
                                }

                                read += n;
                            }

                            if (number <= hangUps)
                            {
                                return; // closes without a byte of answer
                            }

                            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
                        }
                    });
                }
            });
        }

        public int Connections => Volatile.Read(ref connections);

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/hook";

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await loop;
        }
    }

    [Fact]
    public async Task A_connection_closed_before_any_answer_is_tried_again_at_once_in_the_same_attempt()
    {
        await using var receiver = new HangingUpReceiver(hangUps: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url);

        await portal.PublishAsync(webhook.IntegrationId);

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        Assert.Equal(1, delivered.AttemptCount);
        Assert.Equal(2, receiver.Connections);
        var attempts = await portal.WithDbAsync(db => db.LogEntries.Where(e => e.DeliveryId == delivered.Id).ToListAsync());
        Assert.Equal(200, Assert.Single(attempts).Status);
    }

    [Fact]
    public async Task A_receiver_that_always_hangs_up_fails_the_attempt_after_one_second_try()
    {
        await using var receiver = new HangingUpReceiver(hangUps: int.MaxValue);
        var webhook = await portal.CreateWebhookAsync(receiver.Url);

        await portal.PublishAsync(webhook.IntegrationId);

        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.LogEntries.AnyAsync(e => e.SourceId == webhook.Id)),
            "the first attempt", TimeSpan.FromSeconds(30));
        var delivery = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.TargetId == webhook.Id));
        Assert.Equal(DeliveryState.Pending, delivery.State);
        Assert.Contains("Connection failed", delivery.LastError);
        Assert.Equal(2, receiver.Connections);
    }
}
