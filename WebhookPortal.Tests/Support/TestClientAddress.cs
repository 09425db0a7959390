using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// Lets a test speak from a chosen client address: a startup filter copies <see cref="Header"/> into
/// <c>Connection.RemoteIpAddress</c> before the portal's pipeline. Only test hosts register it.
/// </summary>
public sealed class TestClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (IPAddress.TryParse(context.Request.Headers[Header].ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}

public static class TestClientAddressExtensions
{
    /// <summary>Every request of this client comes from <paramref name="address"/>.</summary>
    public static HttpClient From(this HttpClient client, string address)
    {
        client.DefaultRequestHeaders.Remove(TestClientAddress.Header);
        client.DefaultRequestHeaders.Add(TestClientAddress.Header, address);
        return client;
    }
}
