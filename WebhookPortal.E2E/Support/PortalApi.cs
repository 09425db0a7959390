using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace WebhookPortal.E2E.Support;

/// <summary>HTTP calls against the running portal, for setting up journeys and for acting as a System of Record.</summary>
public sealed class PortalApi(string baseUrl) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = new Uri(baseUrl + "/") };

    public HttpClient Http => http;

    public HttpClient AsAdmin()
    {
        var client = new HttpClient { BaseAddress = http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PortalServer.AdminEmail}:{PortalServer.AdminPassword}")));
        return client;
    }

    public async Task<Guid> CreateIntegrationAsync(string name)
    {
        using var admin = AsAdmin();
        var response = await admin.PostAsJsonAsync("api/integrations", new { name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>A listener with a header token and tables from <paramref name="sample"/>; returns its id, hook path and token.</summary>
    public async Task<(Guid Id, string HookPath, string Token)> CreateListenerAsync(Guid integrationId, string name, string sample, string rootPath)
    {
        using var admin = AsAdmin();
        var created = await admin.PostAsJsonAsync($"api/integrations/{integrationId}/listeners", new { name, auth = new { method = "Token", readFrom = "Header", name = "X-Token" }, retentionDays = 30 });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var token = (await (await admin.PostAsync($"api/listeners/{id}/token", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        (await admin.PostAsJsonAsync($"api/listeners/{id}/tables", new { sample, baseName = "records", rootPath, primaryKey = new[] { "id" } })).EnsureSuccessStatusCode();
        return (id, $"hooks/{integrationId}/{id}", token);
    }

    public async Task<int> PushAsync(string hookPath, string token, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, hookPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Token", token);
        return (int)(await http.SendAsync(request)).StatusCode;
    }

    public void Dispose() => http.Dispose();
}
