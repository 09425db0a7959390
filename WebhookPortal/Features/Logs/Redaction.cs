using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace WebhookPortal.Features.Logs;

/// <summary>
/// Removes secrets from what is logged: the standard credential headers, any header or query parameter whose
/// name says it holds a credential, and the names a listener or webhook is configured with (its token header
/// or query parameter, its custom headers) — whatever their case.
/// </summary>
public static partial class Redaction
{
    public const string Mask = "[redacted]";

    // Credential headers of HTTP and of the webhook products people connect (GitHub, Stripe, Standard Webhooks,
    // Svix, Slack, Shopify, GitLab, Twilio, AWS).
    private static readonly HashSet<string> SecretHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "ApiKey", "X-Auth-Token", "token",
        "X-Access-Token", "X-Webhook-Token", "X-Webhook-Secret", "X-Webhook-Signature", "Stripe-Signature", "webhook-signature",
        "svix-signature", "X-Signature", "X-Slack-Signature", "X-Shopify-Hmac-Sha256", "X-Gitlab-Token", "X-Twilio-Signature",
        "X-Amz-Security-Token", "X-Csrf-Token", "X-Xsrf-Token", "X-Functions-Key", "Ocp-Apim-Subscription-Key",
    };

    // GitHub's family: X-Hub-Signature, X-Hub-Signature-256, and whatever comes next.
    private static readonly string[] SecretHeaderPrefixes = ["X-Hub-Signature"];

    // A word of a header's name (split at '-', '_' and '.') that marks it as a credential, e.g. X-My-Secret.
    private static readonly HashSet<string> SecretHeaderWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "token", "secret", "signature", "password", "passwd", "apikey", "credential", "credentials", "cookie", "session", "auth", "hmac",
    };

    // The same for query parameters, where short names are common (key, sig, code: an OAuth code).
    private static readonly HashSet<string> SecretParameterWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "token", "secret", "signature", "sig", "password", "passwd", "pwd", "apikey", "key", "code", "credential", "credentials", "session", "auth",
    };

    private static readonly char[] WordSeparators = ['-', '_', '.'];

    /// <summary>A standard credential header, or one whose name says it is a secret, or one of <paramref name="configured"/>.</summary>
    public static bool IsSecretHeader(string name, IEnumerable<string?>? configured = null) =>
        IsBuiltInSecretHeader(name)
        || (configured is not null && configured.Any(c => c is not null && name.Equals(c.Trim(), StringComparison.OrdinalIgnoreCase)));

    // The built-in rules' verdict by header name: the same few names come with every request and attempt, and the
    // word rule split each name anew (issue 17). Bounded, so that a sender inventing names cannot grow it without end;
    // past the bound, names are judged as they come.
    private const int MaxRememberedVerdicts = 1024;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> BuiltInVerdicts = new(StringComparer.OrdinalIgnoreCase);

    private static bool IsBuiltInSecretHeader(string name)
    {
        if (BuiltInVerdicts.TryGetValue(name, out var secret))
        {
            return secret;
        }

        secret = SecretHeaders.Contains(name)
            || SecretHeaderPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            || name.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries).Any(SecretHeaderWords.Contains);
        if (BuiltInVerdicts.Count < MaxRememberedVerdicts)
        {
            BuiltInVerdicts.TryAdd(name, secret);
        }

        return secret;
    }

    /// <summary>The headers as a JSON object, secrets masked; <paramref name="configured"/> adds names to mask.</summary>
    public static string Headers(IHeaderDictionary headers, IEnumerable<string?>? configured = null) =>
        Headers(headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())), configured);

    public static string Headers(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, IEnumerable<string?>? configured = null) =>
        Headers(headers.Select(h => new KeyValuePair<string, string>(h.Key, string.Join(", ", h.Value))), configured);

    private static string Headers(IEnumerable<KeyValuePair<string, string>> headers, IEnumerable<string?>? configured)
    {
        var names = configured?.ToList();
        // By name, case-insensitively; a name given twice keeps its last value. Written as a JSON object directly: a
        // sorted dictionary handed to the serializer cost ~2 % of the drain's CPU, once per request and per answer.
        var sorted = new List<(string Name, string Value, int Order)>();
        foreach (var (name, value) in headers)
        {
            sorted.Add((name, IsSecretHeader(name, names) ? Mask : value, sorted.Count));
        }

        sorted.Sort(static (a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Name, b.Name) is var byName and not 0 ? byName : a.Order.CompareTo(b.Order));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (var first = 0; first < sorted.Count;)
            {
                // A name's run: its first spelling, with its last value, as the dictionary kept them.
                var last = first;
                while (last + 1 < sorted.Count && StringComparer.OrdinalIgnoreCase.Equals(sorted[last + 1].Name, sorted[first].Name))
                {
                    last++;
                }

                json.WriteString(sorted[first].Name, sorted[last].Value);
                first = last + 1;
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The path with its query, secret parameters masked (token-like names and <paramref name="secretParameter"/>).</summary>
    public static string PathAndQuery(HttpRequest request, string? secretParameter) =>
        request.QueryString.HasValue
            ? RedactQuery((request.Path.Value ?? "/") + request.QueryString.Value, secretParameter)
            : request.Path.Value ?? "/";

    /// <summary>A URL with the values of token-like query parameters and of <paramref name="parameter"/> masked.</summary>
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

    /// <summary>
    /// A URL fit to show to someone who may not see credentials: the user-info part (<c>user:pass@</c>) is
    /// removed and the values of token-like query parameters are masked. Used for Support's views and the log.
    /// </summary>
    public static string Url(string url, string? parameter = null) => RedactQuery(UserInfo().Replace(url, "$1", 1), parameter);

    /// <summary>A label that may end with a URL ("NewOrder → https://…", a subscription's delivery name): the URL is made safe.</summary>
    public static string Label(string label)
    {
        var index = label.IndexOf("://", StringComparison.Ordinal);
        if (index < 0)
        {
            return label;
        }

        // The URL starts at its scheme, just before "://".
        var start = index;
        while (start > 0 && (char.IsAsciiLetterOrDigit(label[start - 1]) || label[start - 1] is '+' or '-' or '.'))
        {
            start--;
        }

        return label[..start] + Url(label[start..]);
    }

    // scheme://userinfo@ — up to the last '@' before the path, so a password with an unescaped '@' goes whole.
    [System.Text.RegularExpressions.GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")]
    private static partial System.Text.RegularExpressions.Regex UserInfo();

    /// <summary>
    /// Query names match without case, as the receiver reads them: <c>?TOKEN=</c> is the token too; and any name
    /// with a credential word (<c>access_token</c>, <c>api_key</c>, <c>sig</c>, <c>code</c>) is masked.
    /// </summary>
    public static bool IsSecretParameter(string name, string? parameter) =>
        (parameter is not null && name.Equals(parameter, StringComparison.OrdinalIgnoreCase))
        || name.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries).Any(SecretParameterWords.Contains);

    public static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
