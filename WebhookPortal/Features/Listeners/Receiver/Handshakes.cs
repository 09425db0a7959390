using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>A handshake's answer and the note its log entry gets.</summary>
public sealed record HandshakeAnswer(WriteOutcome Outcome, string Note);

/// <summary>
/// The listener's chosen handshake (<see cref="ListenerHandshake"/>): a sender asking the URL to prove itself
/// before it sends data. Each is answered as its sender expects, logged, and stores nothing.
/// </summary>
public static class Handshakes
{
    /// <summary>Handshakes that come unsigned: Meta's hub challenge (GET) and Microsoft Graph's validation (POST ?validationToken=).</summary>
    public static HandshakeAnswer? BeforeAuthentication(InboundRequest request)
    {
        switch (request.Listener.Handshake)
        {
            case ListenerHandshake.HubChallenge when request.Method == "GET" && request.Query.ContainsKey("hub.mode"):
                var mode = request.Query["hub.mode"].ToString();
                var challenge = request.Query["hub.challenge"].ToString();
                var verifyToken = request.Query["hub.verify_token"].ToString();
                if (mode != "subscribe" || challenge.Length == 0)
                {
                    return new(ReceiverErrors.Problem(StatusCodes.Status400BadRequest, "Not a hub challenge.", "A hub challenge has hub.mode=subscribe and a hub.challenge."), "Handshake (hub challenge) refused: malformed.");
                }

                var expected = request.Listener.HandshakeVerifyTokenHash;
                if (expected is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(verifyToken)), expected))
                {
                    return new(ReceiverErrors.Problem(StatusCodes.Status403Forbidden, "Forbidden.", "The hub.verify_token is missing or wrong."), "Handshake (hub challenge) refused: wrong verify token.");
                }

                return new(Text(challenge), "Handshake (hub challenge): answered with the challenge.");

            case ListenerHandshake.GraphValidation when request.Method == "POST" && request.Query["validationToken"].ToString() is { Length: > 0 } token:
                return new(Text(token), "Handshake (Microsoft Graph validation): answered with the validation token.");

            default:
                return null;
        }
    }

    /// <summary>Slack's <c>url_verification</c>, which Slack signs: checked once the request is authenticated.</summary>
    public static HandshakeAnswer? AfterAuthentication(InboundRequest request)
    {
        if (request.Listener.Handshake != ListenerHandshake.Slack || request.Method != "POST" || !BodyFormats.IsJson(request.ContentType) || request.RawBody is null)
        {
            return null;
        }

        try
        {
            using var body = JsonDocument.Parse(request.RawBody);
            if (body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "url_verification"
                && body.RootElement.TryGetProperty("challenge", out var challenge) && challenge.ValueKind == JsonValueKind.String)
            {
                return new(new WriteOutcome(StatusCodes.Status200OK, new { challenge = challenge.GetString() }, null), "Handshake (Slack url_verification): answered with the challenge.");
            }
        }
        catch (JsonException)
        {
            // Not JSON: the pipeline answers it as any other bad body.
        }

        return null;
    }

    private static WriteOutcome Text(string text) => new(StatusCodes.Status200OK, text, null) { TextContentType = "text/plain; charset=utf-8" };
}
