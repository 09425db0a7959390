using Microsoft.AspNetCore.DataProtection;

namespace WebhookPortal.Features.Webhooks;

/// <summary>Signing secrets are kept protected at rest (Data Protection keys live in the database).</summary>
public static class WebhookSecrets
{
    private const string Purpose = "WebhookPortal.SigningSecrets.v1";

    public static string Protect(IDataProtectionProvider provider, string secret) => provider.CreateProtector(Purpose).Protect(secret);

    public static string Unprotect(IDataProtectionProvider provider, string protectedSecret) => provider.CreateProtector(Purpose).Unprotect(protectedSecret);
}
