using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Listeners;

public sealed record ListenerAuthInput(ListenerAuthMethod? Method, TokenLocation? ReadFrom, string? Name, string? Prefix);

/// <summary>
/// A listener's settings. On update a field left out keeps its value: <c>auth</c> omitted (or null) never
/// changes the authentication, and turning it off takes an explicit <c>{"method": "None"}</c>. Within
/// <c>auth</c>, omitted parts keep theirs too. <c>retentionDays</c> and <c>script</c> sent as null clear them.
/// <c>expectedUpdated</c> (optional): the listener's <c>updated</c> as the caller last read it; when the listener
/// changed since, the update is refused with 409 instead of silently undoing someone else's change.
/// </summary>
public sealed record ListenerInput(string? Name, bool? Enabled, ListenerAuthInput? Auth, int? RetentionDays, string? Script = null, DateTime? ExpectedUpdated = null) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}

public sealed record ScriptTestRequest(JsonElement? Body, string? Method, Dictionary<string, string>? Headers, Dictionary<string, string>? Query, string? Script);

public sealed record ScriptTestResult(JsonElement? Result);

public sealed record ListenerAuthView(ListenerAuthMethod Method, TokenLocation ReadFrom, string? Name, string? Prefix, bool HasToken);

public sealed record ListenerView(
    Guid Id, Guid IntegrationId, string Name, bool Enabled, string Url, ListenerAuthView Auth, int? RetentionDays,
    TableSchema? Tables, DateTime Created, DateTime Updated, string? Script = null);

/// <summary>
/// A sample and how to turn it into tables. <c>ColumnTypes</c> overrides inferred types, keyed
/// <c>"table.column"</c> (what the Generate Tables dialog's type selects send).
/// </summary>
public sealed record TablesRequest(JsonElement? Sample, string? BaseName, string? RootPath, string[]? PrimaryKey, bool ConfirmDestructive = false, Dictionary<string, ColumnType>? ColumnTypes = null);

/// <summary>A row of the listeners page: the listener, its integration, its last request and how many records it holds.</summary>
public sealed record ListenerOverview(ListenerView Listener, string IntegrationName, DateTime? LastRequestTime, int? LastRequestStatus, string? LastRequestState, long RecordCount);

public sealed record TablePreviewColumn(string Name, ColumnType Type, bool PrimaryKey);

public sealed record TablePreview(string Name, string? Parent, IReadOnlyList<TablePreviewColumn> Columns);

public sealed record TablesPreview(IReadOnlyList<TablePreview> Tables);

public sealed record TablesResult(IReadOnlyList<TablePreview> Tables, IReadOnlyList<string> Statements, IReadOnlyList<string> Losses);

public sealed record RecordsPage(long Total, IReadOnlyList<JsonObject> Items);

/// <summary>A change that would lose data and was not confirmed (409 listing the losses).</summary>
public sealed class DestructiveChangeException(IReadOnlyList<string> losses)
    : PortalException("Generating these tables would lose data; send confirmDestructive: true to proceed. " + string.Join(" ", losses))
{
    public IReadOnlyList<string> Losses { get; } = losses;

    public override IReadOnlyDictionary<string, object?> Extensions => new Dictionary<string, object?> { ["losses"] = Losses };

    public override int StatusCode => StatusCodes.Status409Conflict;

    public override string Title => "The change is destructive.";
}

/// <summary>Listeners for the API and the pages: settings, token, generated tables, stored records.</summary>
public sealed partial class ListenerService(
    IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, IOptions<PortalOptions> portal, WebhookPortal.Infrastructure.Scripting.ScriptSandbox scripts,
    WebhookPortal.Features.Integrations.DeletionService deletion, IOptions<ListenerOptions> listenerOptions, PortalCaller caller, ILogger<ListenerService> logger)
{
    public const string DefaultTokenHeader = "X-Webhook-Token";

    public string UrlOf(Guid integrationId, Guid listenerId) => $"{portal.Value.PublicBaseUrl.TrimEnd('/')}/hooks/{integrationId}/{listenerId}";

    public ListenerView ToView(Listener l) => new(
        l.Id, l.IntegrationId, l.Name, l.Enabled, UrlOf(l.IntegrationId, l.Id),
        new ListenerAuthView(l.AuthMethod, l.TokenLocation, l.TokenName, l.TokenPrefix, l.TokenHash is not null),
        l.RetentionDays, l.GetSchema(), l.CreatedUtc, l.UpdatedUtc, l.Script);

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
    public async Task<IReadOnlyList<ListenerOverview>> OverviewAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Listeners.AsNoTracking().Include(l => l.Integration).OrderBy(l => l.Integration!.Name).ThenBy(l => l.Name).ToListAsync(ct);
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
                result.Add(new ListenerOverview(ToView(row), row.Integration!.Name, entry?.TimeUtc, entry?.Status, entry is null ? null : WebhookPortal.Features.Logs.LogValues.ToText(entry.State), count));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return result;
    }

    public async Task<ListenerView> CreateAsync(Guid integrationId, ListenerInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("create listeners");
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var listener = new Listener { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", CreatedUtc = now, UpdatedUtc = now };
        await ApplyAsync(db, listener, input, creating: true, ct);
        db.Listeners.Add(listener);
        await SaveAsync(db, listener.Name, ct);
        return ToView(listener);
    }

    public async Task<ListenerView> UpdateAsync(Guid id, ListenerInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await caller.RequireAdminAsync("change listeners");
        var listener = await FindAsync(db, id, ct);
        if (input.ExpectedUpdated is { } expected && ToMicroseconds(expected) != ToMicroseconds(listener.UpdatedUtc))
        {
            throw new ConflictException($"Listener '{listener.Name}' was changed by someone else since you opened it; reload it and make your change again.");
        }

        var wasAuthenticated = listener.AuthMethod != ListenerAuthMethod.None;
        await ApplyAsync(db, listener, input, creating: false, ct);
        Touch(listener);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        if (wasAuthenticated && listener.AuthMethod == ListenerAuthMethod.None)
        {
            // Anyone who knows the URL can now push records: an operator should see who did it and when.
            logger.LogWarning("Authentication of listener {ListenerId} ('{ListenerName}') was turned off by {User}: its URL now accepts requests without a token.",
                id, listener.Name, user.Identity?.Name ?? "an unnamed caller");
        }

        return ToView(listener);
    }

    public async Task SetEnabledAsync(Guid id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("enable or disable listeners");
        var listener = await FindAsync(db, id, ct);
        listener.Enabled = enabled;
        Touch(listener);
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
    public async Task<WebhookPortal.Features.Integrations.DeletionImpact> DeletionImpactAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("see what a delete removes");
        return await deletion.ListenerImpactAsync(id, ct);
    }

    /// <summary>Generates or rotates the token: ≥ 32 random bytes, shown once, stored as a SHA-256 hash.</summary>
    public async Task<string> RotateTokenAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate listener tokens");
        var listener = await FindAsync(db, id, ct);
        if (listener.AuthMethod != ListenerAuthMethod.Token)
        {
            throw new ConflictException("The listener's authorization method is None; set it to Token before generating a token.");
        }

        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        listener.TokenHash = HashToken(token);
        Touch(listener);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        return token;
    }

    /// <summary>Runs the listener's script (or the one given, for the editor's Test) on a sample request.</summary>
    public async Task<ScriptTestResult> TestScriptAsync(Guid id, ScriptTestRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Running code on the server is an administrator's action, whatever the page shows.
        await caller.RequireAdminAsync("test listener scripts");
        var listener = await FindAsync(db, id, ct);
        var script = string.IsNullOrWhiteSpace(request.Script) ? listener.Script : request.Script;
        if (script is null)
        {
            throw new UnprocessableException("The listener has no script to test.");
        }

        var requestJson = JsonSerializer.Serialize(new { method = request.Method ?? "POST", headers = request.Headers ?? [], query = request.Query ?? [] });
        try
        {
            var result = scripts.Run(script, request.Body?.GetRawText() ?? "null", requestJson);
            return new ScriptTestResult(result is null ? null : JsonDocument.Parse(result).RootElement);
        }
        catch (WebhookPortal.Infrastructure.Scripting.ScriptException ex)
        {
            throw new UnprocessableException(ex.Line is { } line ? $"Line {line}: {ex.Message}" : ex.Message);
        }
    }

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public async Task<TablesPreview> PreviewTablesAsync(Guid id, TablesRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate tables");
        await FindAsync(db, id, ct);
        var schema = Infer(request, requireKey: false, listenerOptions.Value.SchemaLimits);
        return new TablesPreview(Describe(schema));
    }

    /// <summary>Creates the tables, or migrates them: new columns are added; a destructive change needs confirmation.</summary>
    public async Task<TablesResult> GenerateTablesAsync(Guid id, TablesRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate tables");
        var listener = await FindAsync(db, id, ct);
        var target = Infer(request, requireKey: true, listenerOptions.Value.SchemaLimits);
        var current = listener.GetSchema();
        var dialect = SqlDialect.For(db.Database.IsSqlite());
        var plan = SchemaMigration.Plan(id, current, target, dialect);
        if (plan.IsDestructive && !request.ConfirmDestructive)
        {
            throw new DestructiveChangeException(plan.Losses);
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            foreach (var statement in plan.Statements)
            {
                await ExecuteAsync(db, statement, ct);
            }

            listener.SetSchema(target);
            listener.SampleJson = request.Sample is { ValueKind: JsonValueKind.String } text ? text.GetString() : request.Sample?.GetRawText();
            Touch(listener);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        directory.Invalidate(id);
        return new TablesResult(Describe(target), plan.Statements, plan.Losses);
    }

    public async Task<RecordsPage> GetRecordsAsync(Guid id, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (pageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var listener = await FindAsync(db, id, ct);
        var schema = listener.GetSchema();
        if (schema is null)
        {
            return new RecordsPage(0, []);
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var store = new RecordReader(db.Database.GetDbConnection(), null, SqlDialect.For(db.Database.IsSqlite()), id, schema);
            var (total, items) = await store.ReadPageAsync(page, pageSize, ct);
            return new RecordsPage(total, items);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public static IReadOnlyList<TablePreview> Describe(TableSchema schema) =>
        schema.Tables.Select(t => new TablePreview(t.Name, t.Parent, t.Columns.Select(c => new TablePreviewColumn(c.Name, c.Type, c.PrimaryKey)).ToList())).ToList();

    private static TableSchema Infer(TablesRequest request, bool requireKey, SchemaLimits limits)
    {
        var errors = new Dictionary<string, string[]>();
        JsonElement sample = default;
        if (request.Sample is not { } raw || raw.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            errors["sample"] = ["A JSON sample is required."];
        }
        else if (raw.ValueKind == JsonValueKind.String)
        {
            // The editor sends the sample as text.
            try
            {
                sample = JsonDocument.Parse(raw.GetString()!, new JsonDocumentOptions { MaxDepth = 64 }).RootElement;
            }
            catch (JsonException ex)
            {
                errors["sample"] = [$"The sample is not valid JSON: {ex.Message}"];
            }
        }
        else
        {
            sample = raw;
        }

        if (string.IsNullOrWhiteSpace(request.BaseName))
        {
            errors["baseName"] = ["The base name is required."];
        }

        if (request.RootPath is { Length: > 0 } path && !RootPathPattern().IsMatch(path.Trim()))
        {
            errors["rootPath"] = ["The root path is a dot path of property names, e.g. data.items."];
        }

        if (requireKey && request.PrimaryKey is not { Length: > 0 })
        {
            errors["primaryKey"] = ["Pick at least one root column as the primary key."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var schema = SchemaInference.Infer(sample, request.BaseName, request.RootPath, request.PrimaryKey, limits);
        if (request.ColumnTypes is { Count: > 0 } overrides)
        {
            schema = ApplyTypes(schema, overrides);
        }

        foreach (var key in schema.KeyColumns)
        {
            if (key.Json)
            {
                throw new PortalValidationException("primaryKey", $"'{key.Name}' holds an array and cannot be a key.");
            }
        }

        return schema;
    }

    private static TableSchema ApplyTypes(TableSchema schema, Dictionary<string, ColumnType> overrides)
    {
        var known = schema.Tables.SelectMany(t => t.Columns.Select(c => $"{t.Name}.{c.Name}")).ToHashSet(StringComparer.Ordinal);
        var unknown = overrides.Keys.Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new PortalValidationException("columnTypes", $"Unknown columns: {string.Join(", ", unknown)} (use \"table.column\").");
        }

        return schema with
        {
            Tables = schema.Tables.Select(t => t with
            {
                Columns = t.Columns.Select(c => overrides.TryGetValue($"{t.Name}.{c.Name}", out var type) && !c.Json ? c with { Type = type } : c).ToList(),
            }).ToList(),
        };
    }

    [GeneratedRegex(@"^[^.\s]+(\.[^.\s]+)*$")]
    private static partial Regex RootPathPattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex HeaderNamePattern();

    /// <summary>Validates and applies the input; on update, what was left out keeps its value (never weakening auth).</summary>
    private async Task ApplyAsync(PortalDbContext db, Listener listener, ListenerInput input, bool creating, CancellationToken ct)
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
                    tokenName ??= DefaultTokenHeader;
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

        var setScript = creating || input.Has("script");
        var script = setScript ? (string.IsNullOrWhiteSpace(input.Script) ? null : input.Script) : listener.Script;
        if (setScript && script is not null)
        {
            try
            {
                scripts.Compile(script);
            }
            catch (WebhookPortal.Infrastructure.Scripting.ScriptException ex)
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
    }

    /// <summary>
    /// Marks a change: <c>UpdatedUtc</c> is the listener's version for optimistic concurrency, so it always moves
    /// forward (by a microsecond when the clock has not), at the microsecond precision both databases keep.
    /// </summary>
    private void Touch(Listener listener)
    {
        var now = ToMicroseconds(time.GetUtcNow().UtcDateTime);
        var previous = ToMicroseconds(listener.UpdatedUtc);
        listener.UpdatedUtc = new DateTime(Math.Max(now, previous + 1) * 10, DateTimeKind.Utc);
    }

    private static long ToMicroseconds(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value).Ticks / 10;

    private async Task<Listener> FindAsync(PortalDbContext db, Guid id, CancellationToken ct) =>
        await db.Listeners.FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");

    private async Task ExecuteAsync(PortalDbContext db, string sql, CancellationToken ct)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task SaveAsync(PortalDbContext db, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            }
        catch (DbUpdateException)
        {
                throw new ConflictException($"The integration already has a listener named '{name}'.");
        }
    }
}
