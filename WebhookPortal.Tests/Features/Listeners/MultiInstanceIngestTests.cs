using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>
/// Two portals on one database, as behind a load balancer: the per-process writer no longer serialises
/// the writes, so the database's own upsert and row locks must.
/// </summary>
public sealed class MultiInstanceIngestTests() : TwoPortalsTest<PortalFactory>(() => new PortalFactory(), directory => new PortalFactory(directory))
{
    private static string Upsert(int r) => JsonSerializer.Serialize(new
    {
        data = new { items = new[] { new { id = 1, name = "writer " + r, comments = Enumerable.Range(0, r % 7 + 1).Select(c => new { text = $"r{r}-c{c}" }).ToArray() } } },
    });

    [Fact]
    public async Task Concurrent_upserts_of_one_key_through_two_instances_all_succeed_and_leave_one_record_with_one_writers_children()
    {
        var listener = await First.CreateListenerAsync();
        var clients = new[] { First.Anonymous(), Second.Anonymous() };

        for (var round = 0; round < 3; round++)
        {
            // Request r sends r % 7 + 1 comments, all tagged with r: a torn write would mix tags or counts.
            var responses = await Task.WhenAll(Enumerable.Range(round * 40, 40).Select(r =>
                clients[r % 2].SendAsync(Json(r % 4 < 2 ? HttpMethod.Put : HttpMethod.Post, listener.HookPath, Upsert(r)))));

            var statuses = await Task.WhenAll(responses.Select(async r => $"{(int)r.StatusCode} {(r.IsSuccessStatusCode ? "" : await r.Content.ReadAsStringAsync())}"));
            Assert.All(statuses, s => Assert.StartsWith("200", s));
            var records = await First.RecordsAsync(listener.Id);
            var record = Assert.Single(records.GetProperty("items").EnumerateArray());
            var writer = int.Parse(record.GetProperty("name").GetString()!["writer ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var comments = record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray();
            Assert.Equal(Enumerable.Range(0, writer % 7 + 1).Select(c => $"r{writer}-c{c}").ToArray(), comments);
        }
    }

    [Fact]
    public async Task Concurrent_patches_and_deletes_of_one_key_through_two_instances_answer_without_server_errors()
    {
        var listener = await First.CreateListenerAsync();
        var clients = new[] { First.Anonymous(), Second.Anonymous() };
        await (await clients[0].SendAsync(Json(HttpMethod.Post, listener.HookPath, Upsert(0)))).ReadJsonAsync(HttpStatusCode.OK);

        var responses = await Task.WhenAll(Enumerable.Range(1, 40).Select(r => (r % 5) switch
        {
            0 => clients[r % 2].DeleteAsync(listener.HookPath + "/1"),
            1 => clients[r % 2].SendAsync(Json(HttpMethod.Patch, listener.HookPath, "{\"data\":{\"items\":[{\"id\":1,\"price\":" + r + ",\"comments\":[{\"text\":\"p" + r + "\"}]}]}}")),
            _ => clients[r % 2].SendAsync(Json(HttpMethod.Put, listener.HookPath, Upsert(r))),
        }));

        // A PATCH may find the record deleted (404); nothing may fail on the database.
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{(int)r.StatusCode}"));
        var items = (await First.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().ToList();
        Assert.True(items.Count <= 1);
        if (items.Count == 1)
        {
            var comments = items[0].GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
            Assert.NotEmpty(comments);
            // The children all come from one request (a PUT's r… or a PATCH's p…), never a mix.
            Assert.Single(comments.Select(c => c.Split('-')[0]).Distinct());
        }
    }

    [Fact]
    public async Task Overlapping_batches_through_two_instances_count_every_request_once_and_fire_a_threshold_once()
    {
        var listener = await First.CreateListenerAsync();
        var org = await First.IntegrationNameAsync(listener.IntegrationId);
        // example.invalid never resolves: the usage callback stays in the outbox this test reads.
        var webhook = await (await First.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = "https://usage.example.invalid/cb" })).ReadJsonAsync(HttpStatusCode.Created);
        var rule = new { name = "quota", listenerId = listener.Id, target = 400, period = "Day", conditions = new[] { new { from = 50 } }, webhookIds = new[] { webhook.GetProperty("id").GetGuid() }, enabled = true };
        var ruleId = (await (await First.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules", rule)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var clients = new[] { First.Anonymous(), Second.Anonymous() };

        // 400 requests over 25 record ids, in opposite orders on the two instances: their batches lock the same rows
        // (the records and the rule's usage counter) in different orders, which is where PostgreSQL deadlocks.
        var responses = await Task.WhenAll(Enumerable.Range(0, 400).Select(r =>
        {
            var id = r % 2 == 0 ? r % 25 : 24 - r % 25;
            return clients[r % 2].SendAsync(Json(HttpMethod.Post, listener.HookPath, "{\"data\":{\"items\":[{\"id\":" + id + ",\"name\":\"n" + r + "\",\"comments\":[{\"text\":\"c" + r + "\"}]}]}}"));
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(25, await First.RecordCountAsync(listener.Id));
        Assert.Equal(400, await First.WithDbAsync(db => db.RuleUsage.Where(u => u.RuleId == ruleId).SumAsync(u => u.Count)));
        Assert.Equal(1, await First.WithDbAsync(db => db.RuleFirings.CountAsync(f => f.RuleId == ruleId)));
        Assert.Equal(400, await First.WithDbAsync(db => db.LogEntries.CountAsync(e => e.SourceId == listener.Id && e.Status == 200)));
    }
}
