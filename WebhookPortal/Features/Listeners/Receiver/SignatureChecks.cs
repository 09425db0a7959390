using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>What the signature authenticators share: HMACs, constant-time comparison, the timestamp tolerance, and the reasons they give.</summary>
internal static class SignatureChecks
{
    public const string NoSecret = "The listener has no signing secret yet; generate or enter one.";
    public const string Mismatch = "The signature does not match the body.";

    public static string Missing(string header) => $"The header '{header}' is missing.";

    public static string Malformed(string header) => $"The header '{header}' is not a signature in the expected format.";

    public static byte[] Hmac(SignatureAlgorithm algorithm, byte[] key, ReadOnlySpan<byte> data) => algorithm == SignatureAlgorithm.SHA1
        ? HMACSHA1.HashData(key, data)
        : HMACSHA256.HashData(key, data);

    /// <summary><paramref name="prefix"/> + <paramref name="body"/> as bytes, for signatures over a timestamped string.</summary>
    public static byte[] Concat(string prefix, byte[] body)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var all = new byte[head.Length + body.Length];
        head.CopyTo(all, 0);
        body.CopyTo(all, head.Length);
        return all;
    }

    /// <summary>Decodes a hex signature; null when it is not hex.</summary>
    public static byte[]? FromHex(string value)
    {
        try
        {
            return Convert.FromHexString(value.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static byte[]? FromBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var length) ? buffer[..length] : null;
    }

    /// <summary>Whether any of <paramref name="secrets"/> signs <paramref name="data"/> as <paramref name="presented"/>, each compared in constant time.</summary>
    public static bool AnyMatches(IEnumerable<string> secrets, SignatureAlgorithm algorithm, ReadOnlySpan<byte> data, IEnumerable<byte[]> presented)
    {
        var candidates = presented.ToList();
        var matched = false;
        foreach (var secret in secrets)
        {
            var expected = Hmac(algorithm, Encoding.UTF8.GetBytes(secret), data);
            foreach (var signature in candidates)
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        return matched;
    }

    /// <summary>Null when the Unix-seconds <paramref name="timestamp"/> is within the tolerance of now; otherwise why not.</summary>
    public static string? CheckTimestamp(string timestamp, string source, TimeSpan tolerance, DateTimeOffset now)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return $"The timestamp in '{source}' is missing or not a number of seconds since 1970.";
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(seconds);
        return age.Duration() > tolerance
            ? $"The timestamp in '{source}' is outside the tolerance of {tolerance.ToString("c", CultureInfo.InvariantCulture)} (a replayed or delayed request, or a clock that is off)."
            : null;
    }
}
