using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace WebhookPortal.Features.Logs;

/// <summary>Removes secrets from what is logged: credentials in headers and a listener's token wherever it was read from.</summary>
public static class Redaction
{
    public const string Mask = "[redacted]";

    private static readonly HashSet<string> SecretHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token", "token",
    };

    public static bool IsSecretHeader(string name) => SecretHeaders.Contains(name);

    public static string Headers(IHeaderDictionary headers, string? extraSecretHeader = null)
    {
        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            var secret = SecretHeaders.Contains(name) || (extraSecretHeader is not null && name.Equals(extraSecretHeader, StringComparison.OrdinalIgnoreCase));
            result[name] = secret ? Mask : values.ToString();
        }

        return JsonSerializer.Serialize(result);
    }

    /// <summary>The path with its query, the secret parameter's value masked.</summary>
    public static string PathAndQuery(HttpRequest request, string? secretParameter) =>
        request.QueryString.HasValue
            ? RedactQuery((request.Path.Value ?? "/") + request.QueryString.Value, secretParameter)
            : request.Path.Value ?? "/";

    /// <summary>A URL with one query parameter's value masked.</summary>
    public static string RedactQuery(string url, string? parameter)
    {
        var index = url.IndexOf('?', StringComparison.Ordinal);
        if (index < 0)
        {
            return url;
        }

        var parts = QueryHelpers.ParseQuery(url[index..]);
        var query = string.Join("&", parts.SelectMany(p => p.Value.Select(v =>
            Uri.EscapeDataString(p.Key) + "=" + (IsSecretParameter(p.Key, parameter) ? Mask : Uri.EscapeDataString(v ?? "")))));
        return url[..index] + "?" + query;
    }

    /// <summary>Query names match without case, as the receiver reads them: <c>?TOKEN=</c> is the token too.</summary>
    public static bool IsSecretParameter(string name, string? parameter) =>
        parameter is not null && name.Equals(parameter, StringComparison.OrdinalIgnoreCase);

    public static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
