using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WebhookPortal.Tests.Support;

/// <summary>Runs retention through the API as an administrator would: start (202), then read the run until it ends.</summary>
public static class RetentionFixtures
{
    /// <summary>Starts a run (or joins the one on) and answers the run once it is no longer queued or running.</summary>
    public static async Task<JsonElement> RunRetentionAsync(this PortalFactory portal, HttpClient? client = null)
    {
        client ??= portal.AsAdmin();
        var response = await client.PostAsync("/api/maintenance/retention/run", null);
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var self = started.GetProperty("links").GetProperty("self").GetString()!;
        Assert.Equal(self, response.Headers.Location?.OriginalString);
        return await Eventually.ValueAsync(
            async () => await (await client.GetAsync(self)).ReadJsonAsync(HttpStatusCode.OK),
            run => run.GetProperty("status").GetString() is "succeeded" or "failed",
            "the retention run to end");
    }

    /// <summary>A count from a finished run's summary ("Deleted 3 records, 1 log entry, …"), by its singular and plural words.</summary>
    public static int Deleted(this JsonElement run, string one, string many)
    {
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var summary = run.GetProperty("summary").GetString()!;
        var match = Regex.Match(summary, $@"(?<n>\d[\d,]*) (?:{Regex.Escape(many)}|{Regex.Escape(one)})\b");
        Assert.True(match.Success, $"'{one}' is not counted in: {summary}");
        return int.Parse(match.Groups["n"].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
    }
}
