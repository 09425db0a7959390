using System.Security.Cryptography;

namespace WebhookPortal.Data;

/// <summary>The first administrator's generated password: 24 random characters with every class Identity asks for.</summary>
public static class OneTimePassword
{
    // No look-alikes (0/O, 1/l/I) and no quotes or spaces, so it survives being copied from a console.
    private const string Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Lower = "abcdefghijkmnopqrstuvwxyz";
    private const string Digits = "23456789";
    private const string Symbols = "-_.!@#%+=";

    public const int Length = 24;

    public static string Generate()
    {
        while (true)
        {
            var candidate = RandomNumberGenerator.GetString(Upper + Lower + Digits + Symbols, Length);
            if (candidate.Any(Upper.Contains) && candidate.Any(Lower.Contains) && candidate.Any(Digits.Contains) && candidate.Any(Symbols.Contains))
            {
                return candidate;
            }
        }
    }
}
