using System.Globalization;
using System.Text.Json;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Infrastructure.Http;

/// <summary>
/// Reads a request body as JSON that tolerates trailing commas, as vendor examples carry them (seed 003's
/// notification-condition body does). Bodies that still do not parse are a 400 that says where they broke.
/// </summary>
public static class LenientJsonBody
{
    public static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true };

    public static async Task<JsonElement> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
        {
            throw new BadHttpRequestException("Send the body as JSON (Content-Type: application/json).", StatusCodes.Status415UnsupportedMediaType);
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, Options, ct);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new MalformedJsonException(ex);
        }
    }
}

/// <summary>A body that is not JSON (400); <c>line</c> and <c>position</c> (1-based, position in bytes) say where it broke.</summary>
public sealed class MalformedJsonException : PortalException
{
    public MalformedJsonException(JsonException inner)
        : base(Describe(inner))
    {
        Line = (inner.LineNumber ?? 0) + 1;
        Position = (inner.BytePositionInLine ?? 0) + 1;
    }

    public long Line { get; }

    public long Position { get; }

    public override int StatusCode => StatusCodes.Status400BadRequest;

    public override string Title => "The body is not valid JSON.";

    public override IReadOnlyDictionary<string, object?> Extensions => new Dictionary<string, object?> { ["line"] = Line, ["position"] = Position };

    private static string Describe(JsonException ex)
    {
        // System.Text.Json appends its own 0-based "LineNumber: … | BytePositionInLine: …"; say it 1-based instead.
        var message = ex.Message;
        var suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0)
        {
            message = message[..suffix];
        }

        var line = ((ex.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        var position = ((ex.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        return $"Line {line}, position {position}: {message}";
    }
}
