using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace WebhookPortal.Tests.Support;

/// <summary>Signs in through the real login form, as a browser does: the client then carries only the cookie.</summary>
public static partial class CookieSignIn
{
    /// <summary>A client that keeps cookies and does not follow redirects (so a test sees where pages send it).</summary>
    public static HttpClient CookieClient(this PortalFactory portal) =>
        portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client signed in with the cookie; fails the test if the form does not sign in.</summary>
    public static async Task<HttpClient> SignInWithCookieAsync(this PortalFactory portal, string email, string password, string? address = null)
    {
        var client = portal.CookieClient();
        if (address is not null)
        {
            client.From(address);
        }

        var response = await client.PostLoginFormAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Login answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    /// <summary>GETs the login page for its antiforgery token, then posts the form.</summary>
    public static async Task<HttpResponseMessage> PostLoginFormAsync(this HttpClient client, string email, string password) =>
        await client.PostFormAsync("/Account/Login", "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    /// <summary>Posts one of the static account forms (its page is GET first for the antiforgery token).</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, string formName, Dictionary<string, string> fields)
    {
        var page = await client.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        var token = AntiforgeryToken().Match(html);
        Assert.True(token.Success, $"No antiforgery token on {path} ({(int)page.StatusCode})");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        fields["_handler"] = formName;
        return await client.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    /// <summary>
    /// Posts the layout's "Log out" form (its menu renders only when opened), with the signed-in user's antiforgery
    /// token taken from the static change-password page.
    /// </summary>
    public static async Task<HttpResponseMessage> PostLogoutAsync(this HttpClient client)
    {
        var html = await (await client.GetAsync("/Account/Manage/ChangePassword")).Content.ReadAsStringAsync();
        var token = AntiforgeryToken().Match(html);
        Assert.True(token.Success, "No antiforgery token on the change-password page");
        return await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["returnUrl"] = "",
        }));
    }

    /// <summary>Where a redirect points, as a path (and query) on this portal.</summary>
    public static string? RedirectPath(this HttpResponseMessage response) =>
        response.Headers.Location is { } location ? (location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString) : null;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
