using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace WebhookPortal.Features.Deliveries;

/// <summary>Standard Webhooks signatures: <c>v1,base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))</c>.</summary>
public static class Signer
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        // The signed content is encoded once, straight into a pooled buffer: every delivery attempt signs its payload,
        // and the joined string and its bytes were ~8 % of what the delivery path allocated (issue 17).
        Span<byte> time = stackalloc byte[20];
        timestamp.TryFormat(time, out var timeLength, provider: CultureInfo.InvariantCulture);
        var length = Encoding.UTF8.GetByteCount(messageId) + 1 + timeLength + 1 + Encoding.UTF8.GetByteCount(body);
        var content = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(messageId, content);
            content[written++] = (byte)'.';
            time[..timeLength].CopyTo(content.AsSpan(written));
            written += timeLength;
            content[written++] = (byte)'.';
            written += Encoding.UTF8.GetBytes(body, content.AsSpan(written));
            Span<byte> signature = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(key, content.AsSpan(0, written), signature);
            return "v1," + Convert.ToBase64String(signature);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(content);
        }
    }

    /// <summary>Receiver-side check (constant time): any of the space-separated signatures may match.</summary>
    public static bool Verify(string secret, string messageId, long timestamp, string body, string signatureHeader)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(secret, messageId, timestamp, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected));
    }
}
