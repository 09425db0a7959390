using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.ClusterTests;

/// <summary>
/// Issue 19's proof: two portals on one PostgreSQL behind nginx lose nothing and send nothing twice (under another
/// webhook-id) while one of them is killed with SIGKILL and restarted, and a threshold fires once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(Cluster cluster)
{
    private const int Senders = 16;

    [Fact]
    public async Task Ingest_through_the_balancer_stores_every_acknowledged_record_while_a_portal_is_killed_and_restarted()
    {
        var listener = await CreateListenerAsync("ingest");

        // Warm both portals up (JIT, pools), then the throughput with two portals and with one.
        await SendRecordsAsync(listener.HookPath, 0, 4_000);
        var two = await SendRecordsAsync(listener.HookPath, 100_000, 5_000);
        await cluster.StopAsync(2);
        var one = await SendRecordsAsync(listener.HookPath, 200_000, 5_000);
        await cluster.StartAsync(2);

        // The run: 20,000 records from 16 clients; portal 1 is killed after 5,000 acknowledgements and started again after 10,000.
        var chaos = new Chaos(cluster, killAt: 5_000, restartAt: 10_000, portal: 1);
        var run = await SendRecordsAsync(listener.HookPath, 1_000_000, 20_000, chaos.OnAcknowledgedAsync);
        await chaos.CompleteAsync();

        var stored = await StoredIdsAsync(listener.Id);
        var missing = run.Acknowledged.Where(id => !stored.Contains(id)).ToList();
        await WriteFiguresAsync("ingest",
            $"| ingest, 2 portals (kill -9 of portal 1 after 5,000, restart after 10,000) | 20,000 sent by {Senders} clients | {run.Acknowledged.Count:N0} answered 2xx, {run.Refused:N0} answered otherwise (resent) | {stored.Count(id => id >= 1_000_000):N0} stored, {missing.Count} acknowledged but missing | {run.Rate:N0} req/s |",
            $"| ingest, 2 portals | 5,000 | {two.Acknowledged.Count:N0} | | {two.Rate:N0} req/s |",
            $"| ingest, 1 portal (the other stopped) | 5,000 | {one.Acknowledged.Count:N0} | | {one.Rate:N0} req/s |");

        Assert.True(chaos.Killed && chaos.Restarted, "portal 1 was killed and restarted during the run");
        Assert.Empty(missing);
        Assert.Equal(20_000, run.Acknowledged.Count);
        Assert.Equal(5_000, two.Acknowledged.Count);
        Assert.Equal(5_000, one.Acknowledged.Count);
    }

    [Fact]
    public async Task Published_messages_are_all_delivered_and_duplicates_only_carry_the_same_webhook_id_while_a_portal_is_killed_and_restarted()
    {
        await using var ledger = await Ledger.StartAsync();
        var (integrationId, _) = await CreateIntegrationWithWebhookAsync("publish", ledger.BaseUrl + "/orders");

        var chaos = new Chaos(cluster, killAt: 1_500, restartAt: 3_000, portal: 2);
        var published = new ConcurrentBag<Guid>();
        var watch = Stopwatch.StartNew();
        var run = await SendAsync(5_000, async i =>
        {
            using var response = await cluster.Http.SendAsync(cluster.Admin(HttpMethod.Post, $"/api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { n = i } }));
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            published.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
            return true;
        }, chaos.OnAcknowledgedAsync);
        await chaos.CompleteAsync();
        var publishSeconds = watch.Elapsed.TotalSeconds;

        var expected = published.Select(id => "msg_" + id.ToString("N")).ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (!expected.IsSubsetOf(ledger.IdsAt("/orders")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        var drainSeconds = watch.Elapsed.TotalSeconds;
        var received = ledger.IdsAt("/orders");
        var distinct = received.ToHashSet();
        var stored = await ScalarListAsync("SELECT \"Id\" FROM \"Messages\" WHERE \"IntegrationId\" = @id", integrationId);
        var known = stored.Select(id => "msg_" + ((Guid)id).ToString("N")).ToHashSet();
        await WriteFiguresAsync("publish",
            $"| publish + deliver, 2 portals (kill -9 of portal 2 after 1,500, restart after 3,000) | 5,000 published by {Senders} clients | {published.Count:N0} answered 202 ({run.Refused:N0} answered otherwise, resent); {stored.Count:N0} stored | {distinct.Count(known.Contains):N0} delivered, {expected.Count(id => !distinct.Contains(id))} missing, {received.Count - distinct.Count} duplicate deliveries (same webhook-id) | publish {run.Rate:N0} req/s; all delivered {drainSeconds:N0} s after the first publish |");

        Assert.True(chaos.Killed && chaos.Restarted, "portal 2 was killed and restarted during the run");
        Assert.Equal(5_000, published.Count);
        var undelivered = expected.Where(id => !distinct.Contains(id)).ToList();
        Assert.True(undelivered.Count == 0, $"{undelivered.Count} published messages were never delivered:\n{await DescribeAsync(undelivered)}");
        // Every delivery names a message the portals stored: a duplicate can only repeat a webhook-id, never make a new one.
        var unknown = distinct.Where(id => !known.Contains(id)).ToList();
        Assert.Empty(unknown);
        Assert.True(publishSeconds > 0);
    }

    [Fact]
    public async Task Usage_pushed_through_both_portals_at_once_fires_each_threshold_once()
    {
        await using var ledger = await Ledger.StartAsync();
        var listener = await CreateListenerAsync("usage");
        var org = (await cluster.AdminJsonAsync(HttpMethod.Get, $"/api/integrations/{listener.IntegrationId}")).GetProperty("name").GetString()!;
        var webhook = await cluster.AdminJsonAsync(HttpMethod.Post, $"/v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks", new { name = "usage", postURL = ledger.BaseUrl + "/usage" });
        var rule = await cluster.AdminJsonAsync(HttpMethod.Post, $"/api/integrations/{listener.IntegrationId}/notification-rules", new
        {
            name = "quota", listenerId = listener.Id, target = 200, period = "Day", enabled = true,
            conditions = new[] { new { from = 50, to = 100, step = 50 } },
            webhookIds = new[] { webhook.GetProperty("id").GetGuid() },
        });

        // 400 requests, 32 at a time, spread by the balancer over both portals: the count passes 50 % and 100 % on either.
        var run = await SendRecordsAsync(listener.HookPath, 0, 400, senders: 32);

        var history = await cluster.AdminJsonAsync(HttpMethod.Get, $"/api/integrations/{listener.IntegrationId}/notification-rules/{rule.GetProperty("id").GetGuid()}/history");
        var thresholds = history.EnumerateArray().Select(f => f.GetProperty("threshold").GetDecimal()).OrderBy(t => t).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ledger.IdsAt("/usage").Distinct().Count() < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        // Any second firing would be on its way by now.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var callbacks = ledger.IdsAt("/usage");
        var servedBy = await ScalarListAsync("SELECT COUNT(*) FROM \"LogEntries\" WHERE \"SourceId\" = @id", listener.Id);
        await WriteFiguresAsync("usage",
            $"| usage threshold, 2 portals at once | 400 requests, 32 at a time | {run.Acknowledged.Count:N0} answered 2xx | thresholds fired: {string.Join(", ", thresholds.Select(t => t.ToString("0.##", CultureInfo.InvariantCulture) + " %"))}; callbacks received: {callbacks.Count} ({callbacks.Distinct().Count()} distinct) | |");

        Assert.Equal(400, run.Acknowledged.Count);
        Assert.Equal([50m, 100m], thresholds);
        Assert.Equal(2, callbacks.Distinct().Count());
        Assert.Equal(400L, (long)servedBy.Single());
    }

    private sealed record TestListener(Guid IntegrationId, Guid Id, string HookPath);

    private sealed record SendRun(ConcurrentBag<long> Acknowledged, int Refused, double Rate);

    private async Task<TestListener> CreateListenerAsync(string name)
    {
        var integration = await cluster.AdminJsonAsync(HttpMethod.Post, "/api/integrations", new { name = name + "-" + Guid.NewGuid().ToString("N")[..6] });
        var integrationId = integration.GetProperty("id").GetGuid();
        var listener = await cluster.AdminJsonAsync(HttpMethod.Post, $"/api/integrations/{integrationId}/listeners", new { name, enabled = true, auth = new { method = "None" } });
        var id = listener.GetProperty("id").GetGuid();
        var sample = JsonDocument.Parse("""{"data":{"items":[{"id":1,"name":"first","lines":[{"sku":"a","qty":1}]}]}}""").RootElement;
        await cluster.AdminJsonAsync(HttpMethod.Post, $"/api/listeners/{id}/tables", new { sample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } });
        return new TestListener(integrationId, id, $"/hooks/{integrationId}/{id}");
    }

    private async Task<(Guid IntegrationId, Guid WebhookId)> CreateIntegrationWithWebhookAsync(string name, string url)
    {
        var integration = await cluster.AdminJsonAsync(HttpMethod.Post, "/api/integrations", new { name = name + "-" + Guid.NewGuid().ToString("N")[..6] });
        var org = integration.GetProperty("name").GetString()!;
        var webhook = await cluster.AdminJsonAsync(HttpMethod.Post, $"/v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks", new { name, postURL = url });
        return (integration.GetProperty("id").GetGuid(), webhook.GetProperty("id").GetGuid());
    }

    private Task<SendRun> SendRecordsAsync(string hookPath, long firstId, int count, Func<int, Task>? onAcknowledged = null, int senders = Senders) =>
        SendAsync(count, async i =>
        {
            var id = firstId + i;
            var body = "{\"data\":{\"items\":[{\"id\":" + id + ",\"name\":\"record " + id + "\",\"lines\":[{\"sku\":\"s" + id + "\",\"qty\":1},{\"sku\":\"t\",\"qty\":2}]}]}}";
            using var response = await cluster.Http.PostAsync(cluster.BaseUrl + hookPath, new StringContent(body, Encoding.UTF8, "application/json"));
            return response.IsSuccessStatusCode;
        }, onAcknowledged, senders, firstId);

    /// <summary>
    /// <paramref name="senders"/> clients send items 0 … count − 1; an item not acknowledged (an error answer or a
    /// broken connection while a portal dies) is sent again, as a sender that retries would.
    /// </summary>
    private static async Task<SendRun> SendAsync(int count, Func<int, Task<bool>> send, Func<int, Task>? onAcknowledged = null, int senders = Senders, long idOffset = 0)
    {
        var next = -1;
        var refused = 0;
        var acknowledged = new ConcurrentBag<long>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count)
            {
                for (var attempt = 1; ; attempt++)
                {
                    bool ok;
                    try
                    {
                        ok = await send(item);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        ok = false;
                    }

                    if (ok)
                    {
                        acknowledged.Add(idOffset + item);
                        if (onAcknowledged is not null)
                        {
                            await onAcknowledged(acknowledged.Count);
                        }

                        break;
                    }

                    Interlocked.Increment(ref refused);
                    Assert.True(attempt < 20, $"item {item} was refused 20 times");
                    await Task.Delay(100 * attempt);
                }
            }
        })));
        return new SendRun(acknowledged, refused, count / watch.Elapsed.TotalSeconds);
    }

    private async Task<HashSet<long>> StoredIdsAsync(Guid listenerId) =>
        (await ScalarListAsync($"SELECT \"id\" FROM \"{SqlDialect.PhysicalName(listenerId, "orders")}\"", null)).Select(Convert.ToInt64).ToHashSet();

    /// <summary>What the database says of undelivered messages (their deliveries and Hangfire's lock rows), for a failure's message.</summary>
    private async Task<string> DescribeAsync(IEnumerable<string> messageIds)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        var lines = new List<string>();
        await using (var deliveries = new NpgsqlCommand("""
            SELECT concat_ws(' ', "MessageId", 'state', "State", 'attempts', "AttemptCount", 'next', "NextAttemptUtc", 'lease', coalesce("LeaseUntilUtc"::text, '-'), 'updated', "UpdatedUtc", 'error', coalesce("LastError", '-'))
            FROM "Deliveries" WHERE "MessageId" = ANY(@ids) ORDER BY "UpdatedUtc"
            """, connection))
        {
            deliveries.Parameters.AddWithValue("ids", messageIds.Select(id => Guid.ParseExact(id["msg_".Length..], "N")).ToArray());
            await using var reader = await deliveries.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        await using (var locks = new NpgsqlCommand("SELECT concat_ws(' ', 'hangfire lock', resource, acquired) FROM hangfire.lock", connection))
        {
            await using var reader = await locks.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        lines.Add("now " + DateTime.UtcNow.ToString("O"));
        return string.Join('\n', lines);
    }

    private async Task<List<object>> ScalarListAsync(string sql, Guid? id)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is { } value)
        {
            command.Parameters.AddWithValue("id", value);
        }

        var values = new List<object>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0));
        }

        return values;
    }

    private static async Task WriteFiguresAsync(string part, params string[] rows)
    {
        var file = Cluster.FiguresPath.Replace(".md", "-" + part + ".md", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, rows);
    }

    /// <summary>Kills a portal once so many items are acknowledged, and starts it again later, without stopping the senders.</summary>
    private sealed class Chaos(Cluster cluster, int killAt, int restartAt, int portal)
    {
        private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int stage;

        public bool Killed { get; private set; }

        public bool Restarted { get; private set; }

        /// <summary>Waits for the restart; if the senders finished first, restarts the portal now (and says so in <see cref="Restarted"/>).</summary>
        public async Task CompleteAsync()
        {
            if (Interlocked.CompareExchange(ref stage, 3, 1) == 1)
            {
                // Killed, but the run ended before the restart point: the portal must still come back for the next test.
                await Eventually(() => Killed);
                await cluster.StartAsync(portal);
                return;
            }

            await finished.Task;
        }

        private static async Task Eventually(Func<bool> condition)
        {
            for (var i = 0; i < 600 && !condition(); i++)
            {
                await Task.Delay(100);
            }
        }

        public Task OnAcknowledgedAsync(int acknowledged)
        {
            if (acknowledged >= killAt && Interlocked.CompareExchange(ref stage, 1, 0) == 0)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await cluster.KillAsync(portal);
                        Killed = true;
                    }
                    catch (Exception ex)
                    {
                        finished.TrySetException(ex);
                    }
                });
            }
            else if (acknowledged >= restartAt && Killed && Interlocked.CompareExchange(ref stage, 2, 1) == 1)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await cluster.StartAsync(portal);
                        Restarted = true;
                        finished.TrySetResult();
                    }
                    catch (Exception ex)
                    {
                        finished.TrySetException(ex);
                    }
                });
            }

            return Task.CompletedTask;
        }
    }
}
