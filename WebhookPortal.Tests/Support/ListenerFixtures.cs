using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace WebhookPortal.Tests.Support;

/// <summary>A listener ready to receive: its ids, URL path and token (when it uses one).</summary>
public sealed record TestListener(Guid IntegrationId, Guid Id, string Name, string HookPath, string? Token)
{
    /// <summary>A signature method's signing secret, as the create answer returned it once.</summary>
    public string? Secret { get; init; }
}

/// <summary>Creates what receiver tests need through the public API, as an automation client would.</summary>
public static class ListenerFixtures
{
    public const string OrdersSample = """
        {"data":{"items":[{"id":1,"name":"First","price":9.5,"active":true,"created":"2026-01-01T10:00:00Z",
          "customer":{"city":"Paris","zip":"75001"},"tags":["a","b"],
          "comments":[{"text":"hello","at":"2026-01-02T00:00:00Z"}]}]}}
        """;

    /// <summary>The integration's name: the seed API's {org}.</summary>
    public static async Task<string> IntegrationNameAsync(this PortalFactory portal, Guid integrationId) =>
        (await (await portal.AsAdmin().GetAsync($"/api/integrations/{integrationId}")).ReadJsonAsync(System.Net.HttpStatusCode.OK)).GetProperty("name").GetString()!;

    public static async Task<Guid> CreateIntegrationAsync(this PortalFactory portal, string? name = null)
    {
        var response = await portal.AsAdmin().PostAsJsonAsync("/api/integrations", new { name = name ?? "Int-" + Guid.NewGuid().ToString("N")[..8] });
        return (await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    public static async Task<TestListener> CreateListenerAsync(
        this PortalFactory portal, object? auth = null, string sample = OrdersSample, string rootPath = "data.items", string[]? primaryKey = null, int? retentionDays = null, string? name = null)
    {
        var admin = portal.AsAdmin();
        var integrationId = await portal.CreateIntegrationAsync();
        name ??= "Listener-" + Guid.NewGuid().ToString("N")[..8];
        var created = await (await admin.PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name, enabled = true, auth = auth ?? new { method = "None" }, retentionDays }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        string? token = null;
        if (created.GetProperty("auth").GetProperty("method").GetString() == "Token")
        {
            token = (await (await admin.PostAsync($"/api/listeners/{id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString();
        }

        var tables = await admin.PostAsJsonAsync($"/api/listeners/{id}/tables", new { sample, baseName = "orders", rootPath, primaryKey = primaryKey ?? ["id"] });
        await tables.ReadJsonAsync(HttpStatusCode.OK);
        var secret = created.GetProperty("auth").TryGetProperty("secret", out var generated) ? generated.GetString() : null;
        return new TestListener(integrationId, id, name, $"/hooks/{integrationId}/{id}", token) { Secret = secret };
    }

    public static HttpRequestMessage Json(HttpMethod method, string url, string json) =>
        new(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static async Task<JsonElement> RecordsAsync(this PortalFactory portal, Guid listenerId, int pageSize = 100)
    {
        var response = await portal.AsAdmin().GetAsync($"/api/listeners/{listenerId}/records?page=1&pageSize={pageSize}");
        return await response.ReadJsonAsync(HttpStatusCode.OK);
    }

    public static async Task<long> RecordCountAsync(this PortalFactory portal, Guid listenerId) =>
        (await portal.RecordsAsync(listenerId, 1)).GetProperty("total").GetInt64();

    public static async Task<JsonElement> LogsAsync(this PortalFactory portal, string query)
    {
        var response = await portal.AsAdmin().GetAsync("/api/logs?" + query);
        return await response.ReadJsonAsync(HttpStatusCode.OK);
    }
}
