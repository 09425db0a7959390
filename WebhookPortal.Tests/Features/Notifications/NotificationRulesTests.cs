using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Notifications;

public sealed class NotificationRulesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed record Setup(TestListener Listener, Guid WebhookId, string Org);

    private async Task<Setup> SetupAsync()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        // example.invalid never resolves: the callbacks stay in the outbox this test reads.
        var webhook = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = "https://usage.example.invalid/cb" })).ReadJsonAsync(HttpStatusCode.Created);
        return new Setup(listener, webhook.GetProperty("id").GetGuid(), org);
    }

    private async Task<Guid> CreateRuleAsync(Setup setup, object conditions, long target = 10, string period = "Day", bool scopedToListener = true)
    {
        var body = new { name = "quota", listenerId = scopedToListener ? setup.Listener.Id : (Guid?)null, target, period, conditions, webhookIds = new[] { setup.WebhookId }, enabled = true };
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules", body)).ReadJsonAsync(HttpStatusCode.Created);
        return created.GetProperty("id").GetGuid();
    }

    private Task<HttpResponseMessage> PostRecordAsync(TestListener listener, int id) =>
        portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":{{\"id\":{id}}}}}}}"));

    private Task<List<decimal>> FiredAsync(Guid ruleId) =>
        portal.WithDbAsync(db => db.RuleFirings.Where(f => f.RuleId == ruleId).OrderBy(f => f.Id).Select(f => f.Threshold).ToListAsync());

    [Fact]
    public async Task Changing_the_target_mid_period_never_fires_a_threshold_twice_nor_fails_a_request()
    {
        var setup = await SetupAsync();
        var conditions = new[] { new { from = 80, to = 100, step = 10 } };
        var ruleId = await CreateRuleAsync(setup, conditions, target: 10);
        async Task PostAsync(int from, int to)
        {
            for (var i = from; i <= to; i++)
            {
                await (await PostRecordAsync(setup.Listener, i)).ReadJsonAsync(HttpStatusCode.OK);
            }
        }

        async Task SetTargetAsync(long target)
        {
            var body = new { name = "quota", listenerId = setup.Listener.Id, target, period = "Day", conditions, webhookIds = new[] { setup.WebhookId }, enabled = true };
            (await portal.AsAdmin().PutAsJsonAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules/{ruleId}", body)).EnsureSuccessStatusCode();
        }

        await PostAsync(1, 8);
        Assert.Equal([80m], await FiredAsync(ruleId));

        // 80 % of 20 is reached again at request 16: it already fired this period, so nothing is sent and every request is stored.
        await SetTargetAsync(20);
        await PostAsync(9, 17);
        Assert.Equal([80m], await FiredAsync(ruleId));
        await PostAsync(18, 18);
        Assert.Equal([80m, 90m], await FiredAsync(ruleId));

        // Lowered below the count: the 100 % threshold, passed without being crossed, fires at the next request, once.
        await SetTargetAsync(15);
        await PostAsync(19, 21);
        Assert.Equal([80m, 90m, 100m], await FiredAsync(ruleId));
        Assert.Equal(21, await portal.WithDbAsync(db => db.RuleUsage.Where(u => u.RuleId == ruleId).Select(u => u.Count).SingleAsync()));
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == setup.WebhookId)));
    }

    [Fact]
    public async Task With_target_10_and_80_to_120_by_10_each_threshold_fires_once_at_its_request()
    {
        var setup = await SetupAsync();
        var ruleId = await CreateRuleAsync(setup, new[] { new { from = 80, to = 120, step = 10 } });

        for (var i = 1; i <= 7; i++)
        {
            await (await PostRecordAsync(setup.Listener, i)).ReadJsonAsync(HttpStatusCode.OK);
        }

        Assert.Empty(await FiredAsync(ruleId));
        await (await PostRecordAsync(setup.Listener, 8)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal([80m], await FiredAsync(ruleId));

        for (var i = 9; i <= 15; i++)
        {
            await (await PostRecordAsync(setup.Listener, i)).ReadJsonAsync(HttpStatusCode.OK);
        }

        Assert.Equal([80m, 90m, 100m, 110m, 120m], await FiredAsync(ruleId));

        // Each firing is one message to the rule's webhook, shaped like the usage callback of docs/compatibility.md#mint-webhooks-api.
        var messages = await portal.WithDbAsync(db => db.Deliveries.Include(d => d.Message).Where(d => d.TargetId == setup.WebhookId).Select(d => d.Message!.Payload).ToListAsync());
        Assert.Equal(5, messages.Count);

        // The fake clock gives every message the same time: order them by what they report.
        var first = messages.Select(m => JsonDocument.Parse(m).RootElement).OrderBy(m => m.GetProperty("threshold").GetDecimal()).First();
        Assert.Equal(setup.Org, first.GetProperty("orgName").GetString());
        Assert.Equal(80, first.GetProperty("quotaPercentUsed").GetDecimal());
        Assert.Equal(80, first.GetProperty("threshold").GetDecimal());
        Assert.Equal(8, first.GetProperty("count").GetInt64());
        Assert.Equal(10, first.GetProperty("target").GetInt64());
        Assert.Equal(ruleId, first.GetProperty("ruleId").GetGuid());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("developerEmail").ValueKind);
        Assert.True(first.GetProperty("triggerTime").GetInt64() > 0);
        Assert.Contains("80%", first.GetProperty("triggerReason").GetString());
        Assert.True(first.TryGetProperty("developerQuotaResetDate", out _));
        Assert.True(first.TryGetProperty("periodStart", out _));
        Assert.True(first.TryGetProperty("periodEnd", out _));

        var history = await (await portal.AsAdmin().GetAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules/{ruleId}/history")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, history.GetArrayLength());
        var view = await (await portal.AsAdmin().GetAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules/{ruleId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(15, view.GetProperty("currentCount").GetInt64());
    }

    [Fact]
    public async Task The_seed_expression_is_accepted_and_shown_with_its_thresholds()
    {
        var setup = await SetupAsync();
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules",
            new { name = "expr", target = 1000, period = "Month", conditions = new[] { new { usageTarget = "%= 80 to 120 by 10" } }, webhookIds = new[] { setup.WebhookId } })).ReadJsonAsync(HttpStatusCode.Created);
        var condition = created.GetProperty("conditions")[0];
        Assert.Equal("%= 80 to 120 by 10", condition.GetProperty("expression").GetString());
        Assert.Equal([80m, 90m, 100m, 110m, 120m], condition.GetProperty("thresholds").EnumerateArray().Select(t => t.GetDecimal()).ToArray());
        Assert.Equal("Month", created.GetProperty("period").GetString());
    }

    [Fact]
    public async Task One_request_crossing_two_thresholds_fires_both()
    {
        var setup = await SetupAsync();
        var ruleId = await CreateRuleAsync(setup, new object[] { new { from = 50 }, new { from = 100 } }, target: 1);

        await (await PostRecordAsync(setup.Listener, 1)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal([50m, 100m], await FiredAsync(ruleId));
    }

    [Fact]
    public async Task Concurrent_requests_fire_each_threshold_exactly_once()
    {
        var setup = await SetupAsync();
        var ruleId = await CreateRuleAsync(setup, new[] { new { from = 10, to = 300, step = 10 } });
        var client = portal.Anonymous();

        var responses = await Task.WhenAll(Enumerable.Range(1, 30).Select(i => client.SendAsync(Json(HttpMethod.Post, setup.Listener.HookPath, $"{{\"data\":{{\"items\":{{\"id\":{i}}}}}}}"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var fired = await FiredAsync(ruleId);
        Assert.Equal(30, fired.Count);
        Assert.Equal(30, fired.Distinct().Count());
    }

    [Fact]
    public async Task Refused_requests_do_not_count_and_a_new_period_starts_over()
    {
        var setup = await SetupAsync();
        var ruleId = await CreateRuleAsync(setup, new[] { new { from = 100 } }, target: 2);

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, setup.Listener.HookPath, "{\"data\":{\"items\":{\"id\":\"bad\"}}}"))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        await (await PostRecordAsync(setup.Listener, 1)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(await FiredAsync(ruleId));
        await (await PostRecordAsync(setup.Listener, 2)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal([100m], await FiredAsync(ruleId));
        await (await PostRecordAsync(setup.Listener, 3)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal([100m], await FiredAsync(ruleId));

        portal.Clock.Advance(TimeSpan.FromDays(1));
        await (await PostRecordAsync(setup.Listener, 4)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Single(await FiredAsync(ruleId));
        await (await PostRecordAsync(setup.Listener, 5)).ReadJsonAsync(HttpStatusCode.OK);
        var periods = await portal.WithDbAsync(db => db.RuleFirings.Where(f => f.RuleId == ruleId).Select(f => f.PeriodStart).ToListAsync());
        Assert.Equal(2, periods.Distinct().Count());
    }

    public static TheoryData<string, string> BadRules => new()
    {
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":-1}],"webhookIds":["WH"]}""", "conditions[0].from" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":50,"to":40}],"webhookIds":["WH"]}""", "conditions[0].to" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":10,"to":20,"step":0}],"webhookIds":["WH"]}""", "conditions[0].step" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":0,"to":1000,"step":1}],"webhookIds":["WH"]}""", "conditions[0].step" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"usageTarget":"80 up to 120"}],"webhookIds":["WH"]}""", "conditions[0].usageTarget" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":1,"to":60,"step":1},{"from":61,"to":120,"step":1}],"webhookIds":["WH"]}""", "conditions" },
        { """{"name":"r","target":10,"period":"Day","conditions":[],"webhookIds":["WH"]}""", "conditions" },
        { """{"name":"r","target":0,"period":"Day","conditions":[{"from":80}],"webhookIds":["WH"]}""", "target" },
        { """{"name":"","target":10,"period":"Day","conditions":[{"from":80}],"webhookIds":["WH"]}""", "name" },
        { """{"name":"r","target":10,"conditions":[{"from":80}],"webhookIds":["WH"]}""", "period" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":80}],"webhookIds":[]}""", "webhookIds" },
        { """{"name":"r","target":10,"period":"Day","conditions":[{"from":80}],"webhookIds":["00000000-0000-0000-0000-000000000001"]}""", "webhookIds" },
        { """{"name":"r","listenerId":"00000000-0000-0000-0000-000000000002","target":10,"period":"Day","conditions":[{"from":80}],"webhookIds":["WH"]}""", "listenerId" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task Bad_rules_are_400_naming_the_field_and_not_stored(string body, string field)
    {
        var setup = await SetupAsync();
        var before = await portal.WithDbAsync(db => db.NotificationRules.CountAsync());

        var response = await portal.AsAdmin().PostAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules",
            new StringContent(body.Replace("WH", setup.WebhookId.ToString(), StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await portal.WithDbAsync(db => db.NotificationRules.CountAsync()));
    }

    [Fact]
    public async Task Rules_update_list_and_delete_and_support_may_only_read()
    {
        var setup = await SetupAsync();
        var ruleId = await CreateRuleAsync(setup, new[] { new { from = 80 } });
        var url = $"/api/integrations/{setup.Listener.IntegrationId}/notification-rules";

        var updated = await (await portal.AsAdmin().PutAsJsonAsync($"{url}/{ruleId}", new { name = "renamed", target = 50, period = "Week", conditions = new[] { new { from = 50, to = 100, step = 25 } }, webhookIds = new[] { setup.WebhookId } }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("renamed", updated.GetProperty("name").GetString());
        Assert.Equal(3, updated.GetProperty("conditions")[0].GetProperty("thresholds").GetArrayLength());

        var support = await portal.AsSupportAsync();
        await (await support.GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.DeleteAsync($"{url}/{ruleId}")).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"{url}/{ruleId}")).StatusCode);
        await (await portal.AsAdmin().GetAsync($"{url}/{ruleId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.AsAdmin().GetAsync($"/api/integrations/{Guid.NewGuid()}/notification-rules")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
