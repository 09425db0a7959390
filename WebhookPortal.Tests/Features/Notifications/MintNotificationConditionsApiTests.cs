using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Notifications;

/// <summary>The mint notification-conditions API over the portal's notification rules (docs/compatibility.md#mint-notification-conditions-api).</summary>
public sealed class MintNotificationConditionsApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed record Setup(TestListener Listener, string Org, Guid WebhookId, Guid OtherWebhookId)
    {
        public string Url => $"/v1/mint/organizations/{Org}/notification-conditions";
    }

    private async Task<Setup> SetupAsync()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        // example.invalid never resolves: nothing here is meant to be sent.
        async Task<Guid> WebhookAsync(string name) =>
            (await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name, postURL = "https://usage.example.invalid/" + name }))
                .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        return new Setup(listener, org, await WebhookAsync("first"), await WebhookAsync("second"));
    }

    private static StringContent JsonText(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Body(string ratePlan, string usageTarget, Guid webhookId, string extra = "") =>
        $$"""{"notificationCondition":[{"attribute":"RATEPLAN","value":"{{ratePlan}}"},{"attribute":"PUBLISHED","value":"TRUE"},{"attribute":"UsageTarget","value":"{{usageTarget}}"}],"actions":[{"actionAttribute":"WEBHOOK","value":"{{webhookId}}"}]{{extra}}}""";

    private Task<int> RuleCountAsync() => portal.WithDbAsync(db => db.NotificationRules.CountAsync());

    private static (string Attribute, string Value)[] Attributes(JsonElement condition) =>
        condition.GetProperty("notificationCondition").EnumerateArray().Select(a => (a.GetProperty("attribute").GetString()!, a.GetProperty("value").GetString()!)).ToArray();

    private static Guid[] WebhookActions(JsonElement condition) =>
        condition.GetProperty("actions").EnumerateArray().Select(a => { Assert.Equal("WEBHOOK", a.GetProperty("actionAttribute").GetString()); return a.GetProperty("value").GetGuid(); }).ToArray();

    [Fact]
    public async Task Create_get_list_update_and_delete_round_trip_onto_the_portals_rule()
    {
        var setup = await SetupAsync();
        var admin = portal.AsAdmin();

        var created = await (await admin.PostAsync(setup.Url, JsonText(Body(setup.Listener.Id.ToString(), "%= 50 to 100 by 25", setup.WebhookId, ""","name":"half","target":40,"period":"week","""))))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        // RATEPLAN sent as the listener's id is answered with its name; listenerId carries the id.
        Assert.Equal([("RATEPLAN", setup.Listener.Name), ("PUBLISHED", "TRUE"), ("UsageTarget", "%= 50 to 100 by 25")], Attributes(created));
        Assert.Equal([setup.WebhookId], WebhookActions(created));
        Assert.Equal(("half", 40L, "Week", true), (created.GetProperty("name").GetString(), created.GetProperty("target").GetInt64(), created.GetProperty("period").GetString(), created.GetProperty("enabled").GetBoolean()));

        // The same rule, seen through the portal's own rules API.
        var rule = await (await admin.GetAsync($"/api/integrations/{setup.Listener.IntegrationId}/notification-rules/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(setup.Listener.Id, rule.GetProperty("listenerId").GetGuid());
        Assert.Equal(40, rule.GetProperty("target").GetInt64());
        var ruleCondition = rule.GetProperty("conditions").EnumerateArray().Single();
        Assert.Equal((50m, 100m, 25m), (ruleCondition.GetProperty("from").GetDecimal(), ruleCondition.GetProperty("to").GetDecimal(), ruleCondition.GetProperty("step").GetDecimal()));
        Assert.Equal([setup.WebhookId], rule.GetProperty("webhookIds").EnumerateArray().Select(w => w.GetGuid()).ToArray());

        var fetched = await (await admin.GetAsync($"{setup.Url}/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(created.GetRawText(), fetched.GetRawText());
        var list = await (await admin.GetAsync(setup.Url)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("totalRecords").GetInt32());
        Assert.Equal(id, list.GetProperty("notificationConditions").EnumerateArray().Single().GetProperty("id").GetGuid());

        // RATEPLAN = the organization: every listener counts. Two conditions and two webhooks; name, target and period are kept.
        var changed = await (await admin.PutAsync($"{setup.Url}/{id}", JsonText($$"""
            {"notificationCondition":[{"attribute":"RATEPLAN","value":"{{setup.Org}}"},{"attribute":"UsageTarget","value":"%= 80"},{"attribute":"usagetarget","value":"%=90 to 110",},],
             "actions":[{"actionAttribute":"WEBHOOK","value":"{{setup.OtherWebhookId}}"},{"actionAttribute":"webhook","value":"{{setup.WebhookId}}"}]}
            """))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal([("RATEPLAN", setup.Org), ("PUBLISHED", "TRUE"), ("UsageTarget", "%= 80"), ("UsageTarget", "%= 90 to 110 by 10")], Attributes(changed));
        Assert.Equal([setup.OtherWebhookId, setup.WebhookId], WebhookActions(changed));
        Assert.Equal(JsonValueKind.Null, changed.GetProperty("listenerId").ValueKind);
        Assert.Equal(("half", 40L, "Week"), (changed.GetProperty("name").GetString(), changed.GetProperty("target").GetInt64(), changed.GetProperty("period").GetString()));

        // A body with only portal fields keeps the conditions and actions.
        var renamed = await (await admin.PutAsync($"{setup.Url}/{id}", JsonText("""{"name":"renamed","enabled":"false"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(Attributes(changed), Attributes(renamed));
        Assert.Equal(WebhookActions(changed), WebhookActions(renamed));
        Assert.Equal(("renamed", false), (renamed.GetProperty("name").GetString(), renamed.GetProperty("enabled").GetBoolean()));
        Assert.Equal(renamed.GetRawText(), (await (await admin.GetAsync($"{setup.Url}/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetRawText());

        var deleted = await admin.DeleteAsync($"{setup.Url}/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await admin.GetAsync($"{setup.Url}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (await (await admin.GetAsync(setup.Url)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("totalRecords").GetInt32());
        Assert.False(await portal.WithDbAsync(db => db.NotificationRules.AnyAsync(r => r.Id == id)));
    }

    [Fact]
    public async Task A_body_without_portal_fields_gets_the_configured_target_and_period_and_a_name_from_what_it_counts()
    {
        var setup = await SetupAsync();

        var created = await (await portal.AsAdmin().PostAsync(setup.Url, JsonText(Body(setup.Listener.Name, "%= 80 to 120 by 10", setup.WebhookId)))).ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal($"{setup.Listener.Name} %= 80 to 120 by 10", created.GetProperty("name").GetString());
        Assert.Equal(1000, created.GetProperty("target").GetInt64());
        Assert.Equal("Month", created.GetProperty("period").GetString());
        Assert.True(created.GetProperty("enabled").GetBoolean());
        Assert.Equal(setup.Listener.Id, created.GetProperty("listenerId").GetGuid());
        Assert.Equal(0, created.GetProperty("currentCount").GetInt64());
        // The fake clock is 2026-11-23: the month runs from 1 November to 1 December, in epoch milliseconds.
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), created.GetProperty("periodStart").GetInt64());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), created.GetProperty("periodEnd").GetInt64());
    }

    [Fact]
    public async Task Without_RATEPLAN_the_rule_counts_the_whole_organization()
    {
        var setup = await SetupAsync();

        var created = await (await portal.AsAdmin().PostAsync(setup.Url, JsonText(
            $$"""{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 100"}],"actions":[{"actionAttribute":"WEBHOOK","value":"{{setup.WebhookId}}"}]}""")))
            .ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(JsonValueKind.Null, created.GetProperty("listenerId").ValueKind);
        Assert.Equal([("RATEPLAN", setup.Org), ("PUBLISHED", "TRUE"), ("UsageTarget", "%= 100")], Attributes(created));
        Assert.Equal($"{setup.Org} %= 100", created.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{\"notificationCondition\": [\n  {\"attribute\": \"UsageTarget\", \"value\": \"%= 80\"\n  {\"attribute\": \"RATEPLAN\"}]}", 3, 3)]
    [InlineData("<notificationCondition attribute=\"UsageTarget\"/>", 1, 1)]
    [InlineData("", 1, 1)]
    public async Task A_body_that_is_not_JSON_is_a_400_saying_where_it_broke_and_stores_nothing(string body, long line, long position)
    {
        var setup = await SetupAsync();
        var before = await RuleCountAsync();

        var problem = await (await portal.AsAdmin().PostAsync(setup.Url, JsonText(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(line, problem.GetProperty("line").GetInt64());
        Assert.Equal(position, problem.GetProperty("position").GetInt64());
        Assert.StartsWith($"Line {line}, position {position}: ", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await RuleCountAsync());
    }

    [Fact]
    public async Task A_body_that_is_not_sent_as_JSON_is_a_415()
    {
        var setup = await SetupAsync();

        var response = await portal.AsAdmin().PostAsync(setup.Url, new StringContent(Body(setup.Listener.Name, "%= 80", setup.WebhookId), Encoding.UTF8, "text/plain"));

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(0, (await (await portal.AsAdmin().GetAsync(setup.Url)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("totalRecords").GetInt32());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        // body template (LISTENER, ORG, WEBHOOK, UNKNOWN are filled in), the error's key, words of its message
        { """{"notificationCondition":[{"attribute":"RATEPLAN","value":"LISTENER"},{"attribute":"QUOTA","value":"5"},{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[1].attribute", "Unknown attribute 'QUOTA'" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= eighty"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].value", "'%= eighty' is not a usage target" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 120 to 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].value", "To % must not be less than From %" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 1 to 1000 by 1"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].value", "At most 100 thresholds" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":80}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].value", "is not a usage target" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"UNKNOWN"}]}""", "actions", "Unknown webhooks for this integration: UNKNOWN" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"first"}]}""", "actions[0].value", "a webhook's id" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"EMAIL","value":"WEBHOOK"}]}""", "actions[0].actionAttribute", "WEBHOOK is the only action" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[]}""", "actions", "at least one action" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}]}""", "actions", "at least one action" },
        { """{"notificationCondition":[{"attribute":"RATEPLAN","value":"LISTENER"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition", "at least one UsageTarget" },
        { """{"notificationCondition":[{"attribute":"RATEPLAN","value":"123456"},{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].value", "RATEPLAN '123456' is no listener of organization" },
        { """{"notificationCondition":[{"attribute":"RATEPLAN","value":"LISTENER"},{"attribute":"RATEPLAN","value":"ORG"},{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[1].attribute", "Only one RATEPLAN" },
        { """{"notificationCondition":{"attribute":"UsageTarget","value":"%= 80"},"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition", "must be an array" },
        { """{"notificationCondition":[{"value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}]}""", "notificationCondition[0].attribute", "a string 'attribute'" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}],"target":-5}""", "target", "a whole number above 0" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}],"period":"Year"}""", "period", "Day, Week or Month" },
        { """{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 80"}],"actions":[{"actionAttribute":"WEBHOOK","value":"WEBHOOK"}],"name":"   "}""", "name", "The name is required" },
        { """[{"attribute":"UsageTarget","value":"%= 80"}]""", "body", "must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_a_400_naming_the_place_in_the_body_and_stores_nothing(string template, string key, string message)
    {
        var setup = await SetupAsync();
        var unknown = Guid.NewGuid();
        var body = template.Replace("LISTENER", setup.Listener.Name, StringComparison.Ordinal).Replace("ORG", setup.Org, StringComparison.Ordinal)
            .Replace("\"WEBHOOK\"}", $"\"{setup.WebhookId}\"}}", StringComparison.Ordinal).Replace("UNKNOWN", unknown.ToString(), StringComparison.Ordinal);
        var before = await RuleCountAsync();

        var problem = await (await portal.AsAdmin().PostAsync(setup.Url, JsonText(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(key, out var messages), $"no error for '{key}' in {errors}");
        Assert.Contains(messages.EnumerateArray(), m => m.GetString()!.Contains(message.Replace("UNKNOWN", unknown.ToString(), StringComparison.Ordinal), StringComparison.Ordinal));
        Assert.Equal(before, await RuleCountAsync());
    }

    [Fact]
    public async Task A_bad_update_is_a_400_and_changes_nothing()
    {
        var setup = await SetupAsync();
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsync(setup.Url, JsonText(Body(setup.Listener.Name, "%= 80", setup.WebhookId)))).ReadJsonAsync(HttpStatusCode.Created);
        var url = $"{setup.Url}/{created.GetProperty("id").GetGuid()}";

        var problem = await (await admin.PutAsync(url, JsonText(Body(setup.Org, "%= 90", Guid.NewGuid(), ""","name":"changed","target":5""")))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("actions", out _));
        await (await admin.PutAsync(url, JsonText("""{"notificationCondition":[{"attribute":"UsageTarget","value":"%= 90"},"""))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(created.GetRawText(), (await (await admin.GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK)).GetRawText());
    }

    [Fact]
    public async Task An_unknown_org_is_a_404_on_every_route_and_stores_nothing()
    {
        var setup = await SetupAsync();
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsync(setup.Url, JsonText(Body(setup.Listener.Name, "%= 80", setup.WebhookId)))).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var unknown = "/v1/mint/organizations/no-such-org/notification-conditions";
        var before = await RuleCountAsync();

        foreach (var response in new[]
        {
            await admin.GetAsync(unknown),
            await admin.GetAsync($"{unknown}/{id}"),
            await admin.PostAsync(unknown, JsonText(Body(setup.Listener.Name, "%= 80", setup.WebhookId))),
            await admin.PutAsync($"{unknown}/{id}", JsonText("""{"name":"moved"}""")),
            await admin.DeleteAsync($"{unknown}/{id}"),
        })
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
            Assert.Contains("no-such-org", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(before, await RuleCountAsync());
        Assert.Equal(created.GetRawText(), (await (await admin.GetAsync($"{setup.Url}/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetRawText());
    }

    [Fact]
    public async Task Another_orgs_condition_or_an_unknown_id_is_a_404()
    {
        var setup = await SetupAsync();
        var other = await SetupAsync();
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsync(setup.Url, JsonText(Body(setup.Listener.Name, "%= 80", setup.WebhookId)))).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        await (await admin.GetAsync($"{other.Url}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsync($"{other.Url}/{id}", JsonText("""{"name":"taken"}"""))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"{other.Url}/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"{setup.Url}/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, (await (await admin.GetAsync(other.Url)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("totalRecords").GetInt32());
        Assert.Equal(created.GetRawText(), (await (await admin.GetAsync($"{setup.Url}/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetRawText());
    }

    [Fact]
    public async Task A_webhook_of_another_org_is_refused()
    {
        var setup = await SetupAsync();
        var other = await SetupAsync();
        var before = await RuleCountAsync();

        var problem = await (await portal.AsAdmin().PostAsync(setup.Url, JsonText(Body(setup.Listener.Name, "%= 80", other.WebhookId)))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(other.WebhookId.ToString(), problem.GetProperty("errors").GetProperty("actions")[0].GetString());
        Assert.Equal(before, await RuleCountAsync());
    }
}
