using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.ApiKeys;

/// <summary>API keys: listing, creating (the key shown once), revoking, and checking a presented key.</summary>
public sealed class ApiKeyService(
    IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, PortalCaller caller, WebhookPortal.Features.Integrations.DeletionService deletion,
    ApiKeyCache cache, ApiKeyUsage usage)
{
    private const string KeyPrefix = "wpk_";

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("see API keys");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scopes = (await db.ApiKeyIntegrations.AsNoTracking().ToListAsync(ct)).ToLookup(s => s.ApiKeyId, s => s.IntegrationId);
        return (await db.ApiKeys.AsNoTracking().ToListAsync(ct))
            .OrderByDescending(k => k.CreatedUtc)
            .Select(k => ToView(k, scopes[k.Id].ToList()))
            .ToList();
    }

    /// <summary>
    /// The integrations a caller may reach through the REST hooks: null when the caller is not a Subscriber key
    /// (no scope applies), else the key's scope, which is empty for a key created before scopes existed.
    /// </summary>
    public async Task<IReadOnlyCollection<Guid>?> ScopeOfAsync(ClaimsPrincipal caller, CancellationToken ct = default)
    {
        if (!caller.IsInRole(PortalRoles.Subscriber))
        {
            return null;
        }

        if (!Guid.TryParse(caller.FindFirstValue(ApiKeyAuthenticationHandler.ApiKeyIdClaim), out var keyId))
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiKeyIntegrations.AsNoTracking().Where(s => s.ApiKeyId == keyId).Select(s => s.IntegrationId).ToListAsync(ct);
    }

    /// <summary>Creates a key; a Subscriber key needs one or more existing integrations (its scope), other roles none.</summary>
    public async Task<CreatedApiKeyResponse> CreateAsync(string? name, string? role, IReadOnlyCollection<Guid>? integrationIds, string? createdBy, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create API keys");
        var errors = new Dictionary<string, string[]>();
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors["name"] = ["The name is required."];
        }
        else if (name.Length > 100)
        {
            errors["name"] = ["The name must be at most 100 characters."];
        }

        var canonicalRole = PortalRoles.ApiKeyRoles.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
        if (canonicalRole is null)
        {
            errors["role"] = [$"The role must be one of: {string.Join(", ", PortalRoles.ApiKeyRoles)}."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var scope = integrationIds?.Distinct().ToList() ?? [];
        if (canonicalRole == PortalRoles.Subscriber && scope.Count == 0)
        {
            throw new UnprocessableException("integrationIds: a Subscriber key needs one or more integrations it may reach.");
        }

        if (canonicalRole != PortalRoles.Subscriber && scope.Count > 0)
        {
            throw new UnprocessableException($"integrationIds: only Subscriber keys are scoped to integrations; a {canonicalRole} key reaches what its role allows.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = await db.Integrations.Where(i => scope.Contains(i.Id)).Select(i => i.Id).ToListAsync(ct);
        if (scope.Except(known).ToList() is { Count: > 0 } unknown)
        {
            throw new UnprocessableException($"integrationIds: no integration with id {string.Join(", ", unknown)}.");
        }

        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var key = $"{KeyPrefix}{prefix}_{secret}";
        var entity = new ApiKey
        {
            Id = Guid.NewGuid(),
            Name = name!,
            Role = canonicalRole!,
            Prefix = prefix,
            KeyHash = Hash(key),
            CreatedUtc = time.GetUtcNow().UtcDateTime,
            CreatedBy = createdBy,
        };
        db.ApiKeys.Add(entity);
        db.ApiKeyIntegrations.AddRange(scope.Select(id => new ApiKeyIntegration { ApiKeyId = entity.Id, IntegrationId = id }));
        await db.SaveChangesAsync(ct);
        return new CreatedApiKeyResponse(entity.Id, entity.Name, entity.Role, key, scope);
    }

    public async Task RevokeAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("revoke API keys");

        // A revoked key's subscriptions go with it: a leaked key must stop receiving data, not only stop calling.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct);
        var deleted = await db.ApiKeys.Where(k => k.Id == id).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            throw new NotFoundException($"No API key with id {id}.");
        }

        await db.ApiKeyIntegrations.Where(s => s.ApiKeyId == id).ExecuteDeleteAsync(ct);
        await deletion.RemoveSubscriptionsOfOwnerAsync(db, id.ToString(), ct);
        var entry = WebhookPortal.Features.Audit.AuditLog.Stage(db, "api_key.revoked", WebhookPortal.Features.Audit.AuditResources.ApiKey, id.ToString(), key?.Name,
            $"Revoked API key '{key?.Name}' ({key?.Role})", severity: WebhookPortal.Features.Audit.AuditSeverity.Warning);
        entry.Before = System.Text.Json.JsonSerializer.Serialize(new { name = key?.Name, role = key?.Role, prefix = key is null ? null : KeyPrefix + key.Prefix, keyHash = WebhookPortal.Features.Audit.AuditRules.Masked });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        cache.Revoked(id);
    }

    /// <summary>
    /// A key verified in the last <see cref="ApiKeyOptions.CacheDuration"/> is found by its hash in memory; otherwise
    /// the key is found by its public prefix and the hashes are compared in constant time. Either way its use is only
    /// noted; <see cref="ApiKeyUsage"/> writes "last used" in the background.
    /// </summary>
    public async Task<ApiKeyCache.Entry?> ValidateAsync(string presented, CancellationToken ct = default)
    {
        if (!presented.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = presented.AsSpan(KeyPrefix.Length);
        var separator = rest.IndexOf('_');
        if (separator <= 0)
        {
            return null;
        }

        var hash = Hash(presented);
        if (cache.Find(hash) is { } known)
        {
            usage.Touch(known.Id);
            return known;
        }

        var prefix = rest[..separator].ToString();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
        if (entity is null || !CryptographicOperations.FixedTimeEquals(entity.KeyHash, hash))
        {
            return null;
        }

        usage.Touch(entity.Id);
        return cache.Remember(hash, entity);
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static ApiKeyView ToView(ApiKey k, IReadOnlyList<Guid> scope) => new(k.Id, k.Name, k.Role, KeyPrefix + k.Prefix, k.CreatedUtc, k.CreatedBy, k.LastUsedUtc, scope);
}
