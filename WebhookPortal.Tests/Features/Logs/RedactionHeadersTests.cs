using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// The logged headers are written as a JSON object directly (issue 17): the same text a sorted, case-insensitive
/// dictionary gave to the serializer, secrets masked, and the built-in verdicts remembered only up to a bound.
/// </summary>
public sealed class RedactionHeadersTests
{
    // What Redaction.Headers wrote before: a SortedDictionary (case-insensitive; a repeated name keeps its first
    // spelling and its last value) serialized by System.Text.Json.
    private static string AsBefore(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, IEnumerable<string?>? configured = null)
    {
        var names = configured?.ToList();
        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            result[name] = Redaction.IsSecretHeader(name, names) ? Redaction.Mask : string.Join(", ", values);
        }

        return JsonSerializer.Serialize(result);
    }

    private static KeyValuePair<string, IEnumerable<string>> H(string name, params string[] values) => new(name, values);

    public static TheoryData<KeyValuePair<string, IEnumerable<string>>[]> HeaderSets => new()
    {
        Array.Empty<KeyValuePair<string, IEnumerable<string>>>(),
        new[] { H("Content-Type", "application/json"), H("Authorization", "Bearer abc"), H("User-Agent", "curl/8"), H("X-Webhook-Token", "t0k3n") },
        // Unsorted, repeated names in other cases (first spelling kept, last value), several values.
        new[] { H("x-b", "1"), H("X-A", "2"), H("X-B", "3"), H("x-a", "4", "5"), H("Accept", "a", "b") },
        // Text the encoder escapes: quotes, HTML, control characters, non-ASCII, an emoji.
        new[] { H("X-Note", "\"<b>&'+\\\n\t"), H("X-Name", "Zoë Łódź 東京 😀"), H("X-Ünïcödé-Name", "v") },
        // Secret by prefix, by word, and a lookalike that is not.
        new[] { H("X-Hub-Signature-256", "sha256=1"), H("X-My-Secret", "s"), H("X_session_id", "s"), H("X-Secretary", "not a secret") },
    };

    [Theory]
    [MemberData(nameof(HeaderSets))]
    public void Headers_are_written_as_the_sorted_dictionary_wrote_them(KeyValuePair<string, IEnumerable<string>>[] headers)
    {
        Assert.Equal(AsBefore(headers), Redaction.Headers(headers));
        Assert.Equal(AsBefore(headers, ["x-note", null, " X-B "]), Redaction.Headers(headers, ["x-note", null, " X-B "]));
    }

    [Fact]
    public void Request_headers_are_masked_and_sorted()
    {
        var request = new HeaderDictionary
        {
            ["X-Webhook-Token"] = "t0k3n",
            ["Content-Type"] = "application/json",
            ["Accept"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]),
        };

        var logged = JsonSerializer.Deserialize<Dictionary<string, string>>(Redaction.Headers(request))!;

        Assert.Equal(["Accept", "Content-Type", "X-Webhook-Token"], logged.Keys);
        Assert.Equal("a,b", logged["Accept"]);
        Assert.Equal(Redaction.Mask, logged["X-Webhook-Token"]);
        Assert.DoesNotContain("t0k3n", Redaction.Headers(request));
    }

    [Fact]
    public void Names_past_the_remembered_ones_are_still_judged()
    {
        // More invented names than the verdicts kept: each is still judged by the rules.
        for (var i = 0; i < 1500; i++)
        {
            Assert.False(Redaction.IsSecretHeader($"X-Invented-{i}"));
            Assert.True(Redaction.IsSecretHeader($"X-Invented-{i}-Token"));
        }

        Assert.True(Redaction.IsSecretHeader("X-Late-Signature"));
        Assert.False(Redaction.IsSecretHeader("X-Late-Name"));
        Assert.Contains(Redaction.Mask, Redaction.Headers([H("X-Later-Secret", "s")]));
        // A remembered verdict is the same in any case.
        Assert.True(Redaction.IsSecretHeader("x-invented-3-TOKEN"));
        Assert.False(Redaction.IsSecretHeader("X-INVENTED-3"));
    }
}
