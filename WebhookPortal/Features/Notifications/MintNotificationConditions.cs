using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Notifications;

/// <summary>
/// The mint notification-conditions API (docs/compatibility.md#mint-notification-conditions-api) over the portal's
/// notification rules: it translates bodies and answers, and leaves validation, roles and storage to <see cref="NotificationService"/>.
/// </summary>
public sealed partial class MintNotificationConditions(
    IDbContextFactory<PortalDbContext> dbFactory, NotificationService rules, WebhookCatalog webhooks, IOptions<MintNotificationOptions> options)
{
    public async Task<MintNotificationConditionListResponse> ListAsync(string org, CancellationToken ct = default)
    {
        var integration = await webhooks.FindOrgAsync(org, ct);
        var listeners = await ListenerNamesAsync(integration.Id, ct);
        var views = (await rules.ListAsync(integration.Id, ct)).Select(r => ToView(r, integration, listeners)).ToList();
        return new MintNotificationConditionListResponse(views.Count, views);
    }

    public async Task<MintNotificationConditionView> GetAsync(string org, Guid id, CancellationToken ct = default)
    {
        var integration = await webhooks.FindOrgAsync(org, ct);
        return ToView(await rules.GetAsync(integration.Id, id, ct), integration, await ListenerNamesAsync(integration.Id, ct));
    }

    public async Task<MintNotificationConditionView> CreateAsync(string org, JsonElement body, CancellationToken ct = default)
    {
        var integration = await webhooks.FindOrgAsync(org, ct);
        var input = MintNotificationConditionRequest.Parse(body);
        RequireForCreate(input);
        var listeners = await ListenerNamesAsync(integration.Id, ct);
        var listenerId = input.RatePlan is null ? null : ResolveRatePlan(input, integration, listeners);
        var name = input.Name ?? DefaultName(input, integration, listenerId, listeners);
        var request = new NotificationRuleRequest(name, listenerId, input.Target ?? options.Value.DefaultTarget, input.Period ?? options.Value.DefaultPeriod,
            Conditions(input) ?? [], input.WebhookIds?.ToList() ?? [], input.Enabled ?? true);
        var created = await Translated(input, () => rules.CreateAsync(integration.Id, request, ct));
        return ToView(created, integration, listeners);
    }

    /// <summary>What the body leaves out keeps its value: RATEPLAN, the UsageTargets, the actions and each portal field on its own.</summary>
    public async Task<MintNotificationConditionView> UpdateAsync(string org, Guid id, JsonElement body, CancellationToken ct = default)
    {
        var integration = await webhooks.FindOrgAsync(org, ct);
        await rules.GetAsync(integration.Id, id, ct);
        var input = MintNotificationConditionRequest.Parse(body);
        var listeners = await ListenerNamesAsync(integration.Id, ct);
        var listenerId = input.RatePlan is null ? null : ResolveRatePlan(input, integration, listeners);
        var request = new NotificationRuleRequest(input.Name, listenerId, input.Target, input.Period, Conditions(input), input.WebhookIds?.ToList(), input.Enabled)
        {
            Sent = input.RatePlan is null ? new HashSet<string>() : new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "listenerId" },
        };
        var updated = await Translated(input, () => rules.UpdateAsync(integration.Id, id, request, ct));
        return ToView(updated, integration, listeners);
    }

    public async Task DeleteAsync(string org, Guid id, CancellationToken ct = default)
    {
        var integration = await webhooks.FindOrgAsync(org, ct);
        await rules.DeleteAsync(integration.Id, id, ct);
    }

    // Said in the body's terms here; the rules service would only say "conditions" and "webhookIds".
    private static void RequireForCreate(MintNotificationConditionRequest input)
    {
        var errors = new Dictionary<string, string[]>();
        if (input.UsageTargets is null)
        {
            errors["notificationCondition"] = ["Add at least one UsageTarget condition, e.g. {\"attribute\": \"UsageTarget\", \"value\": \"%= 80 to 120 by 10\"}."];
        }

        if (input.WebhookIds is not { Count: > 0 })
        {
            errors["actions"] = ["Add at least one action {\"actionAttribute\": \"WEBHOOK\", \"value\": \"<webhook id>\"}."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }
    }

    /// <summary>
    /// RATEPLAN says what the rule counts: a listener of the organization (its id, else its exact name) or, by the
    /// organization's own name or id, every listener of it. Anything else is refused rather than guessed.
    /// </summary>
    private static Guid? ResolveRatePlan(MintNotificationConditionRequest input, Integration integration, IReadOnlyDictionary<Guid, string> listeners)
    {
        var value = input.RatePlan!;
        if (Guid.TryParse(value, out var id) && listeners.ContainsKey(id))
        {
            return id;
        }

        if (listeners.FirstOrDefault(l => string.Equals(l.Value, value, StringComparison.Ordinal)) is { Value: not null } byName)
        {
            return byName.Key;
        }

        if (string.Equals(value, integration.Name, StringComparison.Ordinal) || (Guid.TryParse(value, out var orgId) && orgId == integration.Id))
        {
            return null;
        }

        throw new PortalValidationException($"notificationCondition[{input.RatePlanIndex}].value",
            $"RATEPLAN '{value}' is no listener of organization '{integration.Name}' (by id or name), nor the organization itself (its name or id, to count all its listeners).");
    }

    private static List<ThresholdConditionRequest>? Conditions(MintNotificationConditionRequest input) =>
        input.UsageTargets?.Select(u => new ThresholdConditionRequest(null, null, null, u.Expression)).ToList();

    // A rule needs a name and the vendor's body has none: what it counts and at which percentages.
    private static string DefaultName(MintNotificationConditionRequest input, Integration integration, Guid? listenerId, IReadOnlyDictionary<Guid, string> listeners)
    {
        var watched = listenerId is { } id ? listeners[id] : integration.Name;
        var expressions = input.UsageTargets is { Count: > 0 } targets
            ? string.Join(", ", targets.Select(t => ThresholdCondition.TryParse(t.Expression, out var c) ? c!.Expression : t.Expression))
            : "";
        var name = $"{watched} {expressions}".Trim();
        return name.Length > 200 ? name[..200] : name;
    }

    /// <summary>The rules service names the portal's fields; the answer names the body's (webhookIds → actions, listenerId → RATEPLAN's value…).</summary>
    private static async Task<NotificationRuleView> Translated(MintNotificationConditionRequest input, Func<Task<NotificationRuleView>> action)
    {
        try
        {
            return await action();
        }
        catch (PortalValidationException ex)
        {
            var errors = new Dictionary<string, string[]>();
            foreach (var (key, messages) in ex.Errors)
            {
                var field = BodyField(input, key);
                errors[field] = errors.TryGetValue(field, out var earlier) ? [.. earlier, .. messages] : [.. messages];
            }

            throw new PortalValidationException(errors);
        }
    }

    private static string BodyField(MintNotificationConditionRequest input, string key)
    {
        if (ConditionKey().Match(key) is { Success: true } m && input.UsageTargets is { } targets
            && int.TryParse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < targets.Count)
        {
            return $"notificationCondition[{targets[i].Index}].value";
        }

        return key switch
        {
            "webhookIds" => "actions",
            "listenerId" when input.RatePlanIndex >= 0 => $"notificationCondition[{input.RatePlanIndex}].value",
            "listenerId" or "conditions" => "notificationCondition",
            _ => key,
        };
    }

    [GeneratedRegex(@"^conditions\[(\d+)\]", RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConditionKey();

    private async Task<Dictionary<Guid, string>> ListenerNamesAsync(Guid integrationId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Listeners.AsNoTracking().Where(l => l.IntegrationId == integrationId).ToDictionaryAsync(l => l.Id, l => l.Name, ct);
    }

    private static MintNotificationConditionView ToView(NotificationRuleView rule, Integration integration, IReadOnlyDictionary<Guid, string> listeners)
    {
        static long Ms(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

        // RATEPLAN answers the listener's name (as the vendor's example sends it), or the organization's name for a rule over all its listeners.
        var ratePlan = rule.ListenerId is { } id ? listeners.GetValueOrDefault(id, id.ToString()) : integration.Name;
        List<MintConditionAttribute> conditions =
        [
            new(MintNotificationConditionRequest.RatePlanAttribute, ratePlan),
            new(MintNotificationConditionRequest.PublishedAttribute, "TRUE"),
            .. rule.Conditions.Select(c => new MintConditionAttribute(MintNotificationConditionRequest.UsageTargetAttribute, c.Expression)),
        ];
        return new MintNotificationConditionView(rule.Id, conditions,
            rule.WebhookIds.Select(w => new MintNotificationAction(MintNotificationConditionRequest.WebhookAction, w.ToString())).ToList(),
            rule.Name, rule.Target, rule.Period, rule.Enabled, rule.ListenerId, rule.CurrentCount, Ms(rule.PeriodStart), Ms(rule.PeriodEnd));
    }
}
