using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Scripting;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Listeners themselves for the API and the pages: list, overview, create, change (validating settings),
/// enable, delete. Tokens, tables, records and scripts have their own services.
/// </summary>
public sealed partial class ListenerCatalog(
    IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, IOptions<PortalOptions> portal, ScriptSandbox scripts,
    DeletionService deletion, PortalCaller caller, ILogger<ListenerCatalog> logger, Microsoft.AspNetCore.DataProtection.IDataProtectionProvider protection, IOptions<ListenerOptions> listenerOptions)
{
    public string UrlOf(Guid integrationId, Guid listenerId) => $"{portal.Value.PublicBaseUrl.TrimEnd('/')}/hooks/{integrationId}/{listenerId}";

    public ListenerView ToView(Listener l) => new(
        l.Id, l.IntegrationId, l.Name, l.Enabled, UrlOf(l.IntegrationId, l.Id),
        AuthView(l),
        l.RetentionDays, l.GetSchema(), l.CreatedUtc, l.UpdatedUtc, l.Script, ListenerExample.Body(l.SampleJson, l.GetSchema()?.RootPath),
        l.IdempotencyHeader, Span(l.IdempotencyWindowSeconds is { } window ? TimeSpan.FromSeconds(window) : ListenerSignatures.DefaultIdempotencyWindow),
        l.Handshake, l.HandshakeVerifyTokenHash is not null);

    private static ListenerAuthView AuthView(Listener l)
    {
        var view = new ListenerAuthView(l.AuthMethod, l.TokenLocation, l.TokenName, l.TokenPrefix, l.TokenHash is not null, l.PreviousTokenHash is not null ? l.PreviousTokenExpiresUtc : null);
        if (!l.AuthMethod.IsSignature())
        {
            return view;
        }

        var settings = ListenerSignatures.Settings(l);
        return view with
        {
            Name = settings.Header,
            Prefix = settings.Prefix,
            Algorithm = settings.Algorithm,
            Encoding = settings.Encoding,
            Tolerance = l.AuthMethod.IsTimestamped() ? Span(settings.Tolerance) : null,
            HasSecret = l.SigningSecretProtected is not null,
            PreviousSecretExpires = l.PreviousSigningSecretProtected is not null ? l.PreviousSigningSecretExpiresUtc : null,
        };
    }

    private static string Span(TimeSpan value) => value.ToString("c", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<ListenerView>> ListAsync(Guid? integrationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (integrationId is { } id && !await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var query = db.Listeners.AsNoTracking();
        if (integrationId is { } filter)
        {
            query = query.Where(l => l.IntegrationId == filter);
        }

        return (await query.OrderBy(l => l.Name).ToListAsync(ct)).Select(ToView).ToList();
    }

    public async Task<ListenerView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return ToView(await FindAsync(db, id, ct));
    }

    /// <summary>Every listener with its integration, last request and record count, for the listeners page.</summary>
    /// <summary>Every listener (or one integration's) with its last request and record count.</summary>
    public async Task<IReadOnlyList<ListenerOverview>> OverviewAsync(CancellationToken ct = default) => await OverviewAsync(null, ct);

    public async Task<IReadOnlyList<ListenerOverview>> OverviewAsync(Guid? integrationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Listeners.AsNoTracking().Include(l => l.Integration).Where(l => integrationId == null || l.IntegrationId == integrationId)
            .OrderBy(l => l.Integration!.Name).ThenBy(l => l.Name).ToListAsync(ct);
        var ids = rows.Select(r => (Guid?)r.Id).ToList();
        var lastIds = await db.LogEntries.Where(e => ids.Contains(e.SourceId)).GroupBy(e => e.SourceId).Select(g => g.Max(e => e.Id)).ToListAsync(ct);
        var last = await db.LogEntries.AsNoTracking().Where(e => lastIds.Contains(e.Id)).ToDictionaryAsync(e => e.SourceId!.Value, ct);
        var result = new List<ListenerOverview>();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var dialect = SqlDialect.For(db.Database.IsSqlite());
            foreach (var row in rows)
            {
                var schema = row.GetSchema();
                var count = schema is null ? 0 : await new RecordReader(db.Database.GetDbConnection(), null, dialect, row.Id, schema).CountAsync(ct);
                last.TryGetValue(row.Id, out var entry);
                result.Add(new ListenerOverview(ToView(row), row.Integration!.Name, entry?.TimeUtc, entry?.Status, entry?.State, count));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return result;
    }

    public async Task<ListenerView> CreateAsync(Guid integrationId, ListenerRequest input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("create listeners");
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var listener = new Listener { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", CreatedUtc = now, UpdatedUtc = now };
        var secret = await ApplyAsync(db, listener, input, creating: true, ct);
        db.Listeners.Add(listener);
        await SaveAsync(db, listener.Name, ct);
        return WithSecret(ToView(listener), secret);
    }

    public async Task<ListenerView> UpdateAsync(Guid id, ListenerRequest input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await caller.RequireAdminAsync("change listeners");
        var listener = await FindAsync(db, id, ct);
        if (input.ExpectedUpdated is { } expected && ToMicroseconds(expected) != ToMicroseconds(listener.UpdatedUtc))
        {
            throw new ConflictException($"Listener '{listener.Name}' was changed by someone else since you opened it; reload it and make your change again.");
        }

        var wasAuthenticated = listener.AuthMethod != ListenerAuthMethod.None;
        var secret = await ApplyAsync(db, listener, input, creating: false, ct);
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        if (wasAuthenticated && listener.AuthMethod == ListenerAuthMethod.None)
        {
            // Anyone who knows the URL can now push records: an operator should see who did it and when.
            logger.LogWarning("Authentication of listener {ListenerId} ('{ListenerName}') was turned off by {User}: its URL now accepts requests without a token.",
                id, listener.Name, user.Identity?.Name ?? "an unnamed caller");
        }

        return WithSecret(ToView(listener), secret);
    }

    /// <summary>A signing secret the portal generated goes back once, in this answer only.</summary>
    private static ListenerView WithSecret(ListenerView view, string? secret) => secret is null ? view : view with { Auth = view.Auth with { Secret = secret } };

    public async Task SetEnabledAsync(Guid id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("enable or disable listeners");
        var listener = await FindAsync(db, id, ct);
        listener.Enabled = enabled;
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
    }

    /// <summary>Deletes the listener with its tables, event types and rules, in one transaction; its URL answers 404 at once.</summary>
    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete listeners");
        await deletion.DeleteListenerAsync(id, ct);
    }

    /// <summary>What a delete would take with it, for the confirmation.</summary>
    public async Task<DeletionImpact> DeletionImpactAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("see what a delete removes");
        return await deletion.ListenerImpactAsync(id, ct);
    }

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();

    /// <summary>Validates and applies the input; on update, what was left out keeps its value (never weakening auth).</summary>
    /// <returns>A signing secret generated for the listener (to be shown once), or null.</returns>
    private async Task<string?> ApplyAsync(PortalDbContext db, Listener listener, ListenerRequest input, bool creating, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var name = input.Name?.Trim() ?? (creating ? "" : listener.Name);
        if (name.Length == 0)
        {
            errors["name"] = ["The name is required."];
        }
        else if (name.Length > Listener.NameMaxLength)
        {
            errors["name"] = [$"The name must be at most {Listener.NameMaxLength} characters."];
        }

        // Omitted auth (or parts of it) keeps the current setting; a new listener starts with None.
        var auth = input.Auth;
        var method = auth?.Method ?? (creating ? ListenerAuthMethod.None : listener.AuthMethod);
        var readFrom = auth?.ReadFrom ?? (creating ? TokenLocation.Header : listener.TokenLocation);
        var sameLocation = !creating && readFrom == listener.TokenLocation;
        var tokenName = auth?.Name is { } givenName ? (string.IsNullOrWhiteSpace(givenName) ? null : givenName.Trim()) : sameLocation ? listener.TokenName : null;
        var prefix = auth?.Prefix is { } givenPrefix ? (string.IsNullOrWhiteSpace(givenPrefix) ? null : givenPrefix.Trim()) : sameLocation ? listener.TokenPrefix : null;
        if (method == ListenerAuthMethod.Token)
        {
            switch (readFrom)
            {
                case TokenLocation.Header:
                    tokenName ??= ListenerTokens.DefaultTokenHeader;
                    if (!HeaderNamePattern().IsMatch(tokenName) || tokenName.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                    {
                        errors["auth.name"] = ["The header name must be a valid HTTP header name other than Authorization (use readFrom: Authorization for that)."];
                    }

                    break;
                case TokenLocation.Query:
                    tokenName ??= "token";
                    if (tokenName.Length > 100 || tokenName.Any(c => char.IsWhiteSpace(c) || c is '&' or '=' or '#' or '?'))
                    {
                        errors["auth.name"] = ["The query parameter name must not contain spaces, '&', '=', '?' or '#'."];
                    }

                    break;
                case TokenLocation.Authorization:
                    tokenName = null;
                    if (prefix is not null && (prefix.Length > 50 || prefix.Any(char.IsWhiteSpace)))
                    {
                        errors["auth.prefix"] = ["The prefix is one word such as Bearer."];
                    }

                    break;
            }
        }

        var signature = method.IsSignature() ? SignatureInput(listener, auth, method, creating, errors) : null;
        var gateway = GatewayInput(listener, input, creating, errors);

        var setScript = creating || input.Has("script");
        var script = setScript ? (string.IsNullOrWhiteSpace(input.Script) ? null : input.Script) : listener.Script;
        if (setScript && script is not null)
        {
            try
            {
                scripts.Compile(script);
            }
            catch (ScriptException ex)
            {
                throw new UnprocessableException($"The script does not parse (line {ex.Line}): {ex.Message}");
            }
        }

        var retentionDays = creating || input.Has("retentionDays") ? input.RetentionDays : listener.RetentionDays;
        if (retentionDays is < 1 or > 36500)
        {
            errors["retentionDays"] = ["Retention is between 1 and 36500 days, or null to keep records forever."];
        }

        if (errors.Count == 0 && await db.Listeners.AnyAsync(l => l.IntegrationId == listener.IntegrationId && l.Name == name && l.Id != listener.Id, ct))
        {
            throw new ConflictException($"The integration already has a listener named '{name}'.");
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        listener.Name = name;
        listener.Enabled = input.Enabled ?? (creating || listener.Enabled);
        listener.AuthMethod = method;
        listener.TokenLocation = readFrom;
        listener.TokenName = method == ListenerAuthMethod.Token ? tokenName : null;
        if (method == ListenerAuthMethod.None)
        {
            // Turning authentication back on must not revive a token that was given out before it was turned off:
            // the listener then refuses every request until a new token is generated.
            listener.TokenHash = null;
        }

        listener.TokenPrefix = method == ListenerAuthMethod.Token && readFrom == TokenLocation.Authorization ? prefix : null;
        listener.RetentionDays = retentionDays;
        listener.Script = script;
        (listener.IdempotencyHeader, listener.IdempotencyWindowSeconds, listener.Handshake) = (gateway.IdempotencyHeader, gateway.WindowSeconds, gateway.Handshake);
        if (gateway.Handshake != ListenerHandshake.HubChallenge)
        {
            listener.HandshakeVerifyTokenHash = null;
        }
        else if (gateway.VerifyToken is { } verifyToken)
        {
            listener.HandshakeVerifyTokenHash = ListenerTokens.HashToken(verifyToken);
        }

        return ApplySignature(listener, method, signature);
    }

    private sealed record SignatureChoice(string? Header, string? Prefix, SignatureAlgorithm? Algorithm, SignatureEncoding? Encoding, int? ToleranceSeconds, string? Secret);

    private sealed record GatewayChoice(string? IdempotencyHeader, int? WindowSeconds, ListenerHandshake Handshake, string? VerifyToken);

    /// <summary>A signature method's settings from the request, what was left out kept from the listener (same method family).</summary>
    private static SignatureChoice SignatureInput(Listener listener, ListenerAuthRequest? auth, ListenerAuthMethod method, bool creating, Dictionary<string, string[]> errors)
    {
        var wasHmac = !creating && listener.AuthMethod == ListenerAuthMethod.Hmac;
        string? header = null, prefix = null;
        SignatureAlgorithm? algorithm = null;
        SignatureEncoding? encoding = null;
        if (method == ListenerAuthMethod.Hmac)
        {
            header = auth?.Name is { } name ? name.Trim() : wasHmac ? listener.TokenName : null;
            prefix = auth?.Prefix is { } givenPrefix ? (givenPrefix.Length == 0 ? null : givenPrefix) : wasHmac ? listener.TokenPrefix : null;
            algorithm = auth?.Algorithm ?? (wasHmac ? listener.SignatureAlgorithm : null) ?? SignatureAlgorithm.SHA256;
            encoding = auth?.Encoding ?? (wasHmac ? listener.SignatureEncoding : null) ?? SignatureEncoding.Hex;
            if (string.IsNullOrEmpty(header) || !HeaderNamePattern().IsMatch(header) || header.Length > 100)
            {
                errors["auth.name"] = ["Hmac needs the name of the header that carries the signature (e.g. X-Signature-256)."];
            }

            if (prefix is { Length: > 50 })
            {
                errors["auth.prefix"] = ["The prefix is at most 50 characters (e.g. sha256=)."];
            }
        }

        int? tolerance = !creating && listener.AuthMethod.IsSignature() ? listener.SignatureToleranceSeconds : null;
        if (auth?.Tolerance is { } givenTolerance)
        {
            if (!TimeSpan.TryParse(givenTolerance, System.Globalization.CultureInfo.InvariantCulture, out var span) || span < TimeSpan.FromSeconds(1) || span > ListenerSignatures.MaxTolerance)
            {
                errors["auth.tolerance"] = ["The tolerance is a time span from 00:00:01 to 1.00:00:00, such as 00:05:00."];
            }
            else
            {
                tolerance = (int)span.TotalSeconds;
            }
        }

        if (auth?.Secret is { } secret && ListenerSignatures.Invalid(method, secret) is { } invalid)
        {
            errors["auth.secret"] = [invalid];
        }

        return new SignatureChoice(header, prefix, algorithm, encoding, tolerance, auth?.Secret);
    }

    private static GatewayChoice GatewayInput(Listener listener, ListenerRequest input, bool creating, Dictionary<string, string[]> errors)
    {
        var header = creating || input.Has("idempotencyHeader") ? (string.IsNullOrWhiteSpace(input.IdempotencyHeader) ? null : input.IdempotencyHeader.Trim()) : listener.IdempotencyHeader;
        if (header is not null && (header.Length > 100 || !HeaderNamePattern().IsMatch(header)))
        {
            errors["idempotencyHeader"] = ["The idempotency header is a valid HTTP header name such as X-GitHub-Delivery, or null."];
        }

        var window = creating ? null : listener.IdempotencyWindowSeconds;
        if (input.IdempotencyWindow is { } givenWindow)
        {
            if (!TimeSpan.TryParse(givenWindow, System.Globalization.CultureInfo.InvariantCulture, out var span) || span < TimeSpan.FromMinutes(1) || span > ListenerSignatures.MaxIdempotencyWindow)
            {
                errors["idempotencyWindow"] = ["The idempotency window is a time span from 00:01:00 to 30.00:00:00, such as 1.00:00:00 (a day)."];
            }
            else
            {
                window = (int)span.TotalSeconds;
            }
        }

        var handshake = input.Handshake ?? (creating ? ListenerHandshake.None : listener.Handshake);
        var verifyToken = string.IsNullOrEmpty(input.VerifyToken) ? null : input.VerifyToken;
        if (handshake == ListenerHandshake.HubChallenge && verifyToken is null && (creating || listener.HandshakeVerifyTokenHash is null))
        {
            errors["verifyToken"] = ["HubChallenge needs the verify token you give the sender."];
        }
        else if (verifyToken is { Length: > 200 })
        {
            errors["verifyToken"] = ["The verify token is at most 200 characters."];
        }

        return new GatewayChoice(header, window, handshake, verifyToken);
    }

    /// <summary>
    /// Stores the signature settings and secret. A method without a signature drops any secret (as None drops the token);
    /// a signature method drops the token. A secret sent replaces the current one, which stays valid for the overlap.
    /// </summary>
    private string? ApplySignature(Listener listener, ListenerAuthMethod method, SignatureChoice? choice)
    {
        if (choice is null)
        {
            listener.SigningSecretProtected = listener.PreviousSigningSecretProtected = null;
            listener.PreviousSigningSecretExpiresUtc = null;
            (listener.SignatureAlgorithm, listener.SignatureEncoding, listener.SignatureToleranceSeconds) = (null, null, null);
            return null;
        }

        listener.TokenHash = listener.PreviousTokenHash = null;
        listener.PreviousTokenExpiresUtc = null;
        (listener.TokenName, listener.TokenPrefix) = method == ListenerAuthMethod.Hmac ? (choice.Header, choice.Prefix) : (null, null);
        (listener.SignatureAlgorithm, listener.SignatureEncoding) = method == ListenerAuthMethod.Hmac ? (choice.Algorithm, choice.Encoding) : (null, null);
        listener.SignatureToleranceSeconds = method.IsTimestamped() ? choice.ToleranceSeconds : null;

        var current = listener.SigningSecretProtected is { } stored ? ListenerSignatures.Unprotect(protection, stored) : null;
        if (choice.Secret is { } given)
        {
            if (current is not null && current != given)
            {
                listener.PreviousSigningSecretProtected = listener.SigningSecretProtected;
                listener.PreviousSigningSecretExpiresUtc = time.GetUtcNow().UtcDateTime + listenerOptions.Value.TokenOverlap;
            }

            listener.SigningSecretProtected = ListenerSignatures.Protect(protection, given);
            return null;
        }

        if (current is not null && ListenerSignatures.Invalid(method, current) is null)
        {
            return null;
        }

        // No secret yet, or one the new method cannot use (Standard Webhooks takes whsec_ + base64): a new one, shown once.
        var generated = ListenerSignatures.Generate(method);
        listener.SigningSecretProtected = ListenerSignatures.Protect(protection, generated);
        listener.PreviousSigningSecretProtected = null;
        listener.PreviousSigningSecretExpiresUtc = null;
        return generated;
    }
}
