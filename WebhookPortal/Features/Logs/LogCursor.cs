using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Logs;

/// <summary>
/// The keyset position after the last entry of a page — its time and id — and a fingerprint of the search it belongs
/// to, encrypted and signed with the portal's Data Protection keys (shared by every portal of a cluster). A client can
/// only hand it back: a changed, cut or made-up cursor, or one of another search, is a 400, never a wrong page.
/// </summary>
public sealed class LogCursor(IDataProtectionProvider protection)
{
    private const byte Version = 1;
    private readonly IDataProtector protector = protection.CreateProtector("WebhookPortal.Logs.Cursor.v1");

    public string Create(DateTime timeUtc, long id, string search)
    {
        var payload = new byte[1 + 8 + 8 + 8];
        payload[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(1), timeUtc.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(9), id);
        Fingerprint(search).CopyTo(payload.AsSpan(17));
        return WebEncoders.Base64UrlEncode(protector.Protect(payload));
    }

    /// <summary>The position a cursor holds, or a <see cref="PortalValidationException"/> (400).</summary>
    public (DateTime TimeUtc, long Id) Read(string cursor, string search)
    {
        byte[] payload;
        try
        {
            payload = protector.Unprotect(WebEncoders.Base64UrlDecode(cursor));
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            throw new PortalValidationException("cursor", "The cursor is not one this portal gave: pass the 'next' of the previous page as it is.");
        }

        if (payload.Length != 25 || payload[0] != Version)
        {
            throw new PortalValidationException("cursor", "The cursor is not one this portal gave: pass the 'next' of the previous page as it is.");
        }

        if (!payload.AsSpan(17).SequenceEqual(Fingerprint(search)))
        {
            throw new PortalValidationException("cursor", "The cursor belongs to another search: keep the filters of the page it came from, or start again without it.");
        }

        return (new DateTime(BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(1)), DateTimeKind.Utc), BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(9)));
    }

    private static byte[] Fingerprint(string search) => SHA256.HashData(Encoding.UTF8.GetBytes(search))[..8];
}
