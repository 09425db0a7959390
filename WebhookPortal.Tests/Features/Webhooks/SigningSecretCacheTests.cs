using Microsoft.AspNetCore.DataProtection;
using WebhookPortal.Features.Webhooks;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>Signing secrets are revealed once per stored ciphertext, not once per attempt (issue 17, delivery drain).</summary>
public sealed class SigningSecretCacheTests
{
    [Fact]
    public void A_secret_is_revealed_once_and_a_rotated_one_is_revealed_anew()
    {
        var protection = new CountingProvider(new EphemeralDataProtectionProvider());
        var cache = new SigningSecretCache(protection);
        var first = WebhookSecrets.Protect(protection, "whsec_first");
        var rotated = WebhookSecrets.Protect(protection, "whsec_rotated");

        Assert.Equal("whsec_first", cache.Reveal(first));
        Assert.Equal("whsec_first", cache.Reveal(first));
        Assert.Equal(1, protection.Unprotected);

        // A rotation stores another ciphertext: never answered with the old secret.
        Assert.Equal("whsec_rotated", cache.Reveal(rotated));
        Assert.Equal(2, protection.Unprotected);
        Assert.Equal("whsec_first", cache.Reveal(first));
        Assert.Equal(2, protection.Unprotected);
    }

    [Fact]
    public void A_ciphertext_that_does_not_decrypt_throws_and_is_not_kept()
    {
        var protection = new CountingProvider(new EphemeralDataProtectionProvider());
        var cache = new SigningSecretCache(protection);
        var foreign = WebhookSecrets.Protect(new EphemeralDataProtectionProvider(), "whsec_elsewhere");

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => cache.Reveal(foreign));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void The_cache_stays_within_its_capacity()
    {
        var protection = new CountingProvider(new EphemeralDataProtectionProvider());
        var cache = new SigningSecretCache(protection);
        for (var i = 0; i <= SigningSecretCache.Capacity; i++)
        {
            Assert.Equal($"s{i}", cache.Reveal(WebhookSecrets.Protect(protection, $"s{i}")));
        }

        Assert.InRange(cache.Count, 1, SigningSecretCache.Capacity);
    }

    private sealed class CountingProvider(IDataProtectionProvider inner) : IDataProtectionProvider
    {
        public int Unprotected;

        public IDataProtector CreateProtector(string purpose) => new Protector(this, inner.CreateProtector(purpose));

        private sealed class Protector(CountingProvider owner, IDataProtector inner) : IDataProtector
        {
            public IDataProtector CreateProtector(string purpose) => new Protector(owner, inner.CreateProtector(purpose));

            public byte[] Protect(byte[] plaintext) => inner.Protect(plaintext);

            public byte[] Unprotect(byte[] protectedData)
            {
                Interlocked.Increment(ref owner.Unprotected);
                return inner.Unprotect(protectedData);
            }
        }
    }
}
