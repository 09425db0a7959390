using Microsoft.AspNetCore.Authentication;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// The API credential schemes features add beside HTTP Basic (an API key, a job token…), each with the test that
/// tells whether a request presents its credential. The portal's policy scheme asks them in <see cref="Order"/>.
/// </summary>
public sealed class ApiCredentialSchemes
{
    private readonly List<Entry> entries = [];

    public IReadOnlyList<Entry> Entries => entries;

    internal void Add(Entry entry)
    {
        entries.Add(entry);
        entries.Sort((a, b) => a.Order.CompareTo(b.Order));
    }

    /// <param name="Scheme">The authentication scheme's name.</param>
    /// <param name="Presents">Whether the request carries this scheme's credential.</param>
    /// <param name="Order">Lower is asked first (a more specific header before a general one).</param>
    /// <param name="DocumentToo">False: only machine paths (/api…) use it; true: the OpenAPI document (/openapi) too.</param>
    public sealed record Entry(string Scheme, Func<HttpRequest, bool> Presents, int Order, bool DocumentToo);
}

public static class ApiCredentialSchemeExtensions
{
    /// <summary>Adds an API authentication scheme and tells the portal's policy scheme when a request presents it.</summary>
    public static IServiceCollection AddApiCredentialScheme<THandler>(
        this IServiceCollection services, string scheme, Func<HttpRequest, bool> presents, int order, bool documentToo = true)
        where THandler : ApiAuthenticationHandler
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, THandler>(scheme, null);
        services.Configure<ApiCredentialSchemes>(s => s.Add(new ApiCredentialSchemes.Entry(scheme, presents, order, documentToo)));
        return services;
    }
}
