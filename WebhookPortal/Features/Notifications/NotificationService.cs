using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Notifications;

/// <summary>A condition as sent: From/To/Step, or the seed's <c>usageTarget</c> expression.</summary>
public sealed record ConditionInput(decimal? From, decimal? To, decimal? Step, string? UsageTarget);

/// <summary>A rule as sent. On update an omitted (or null) field keeps its value; <c>listenerId</c> sent as null counts the whole integration.</summary>
public sealed record RuleInput(string? Name, Guid? ListenerId, long? Target, UsagePeriod? Period, List<ConditionInput>? Conditions, List<Guid>? WebhookIds, bool? Enabled) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}

public sealed record ConditionView(decimal From, decimal? To, decimal Step, string Expression, IReadOnlyList<decimal> Thresholds);

public sealed record RuleView(Guid Id, Guid IntegrationId, Guid? ListenerId, string Name, long Target, UsagePeriod Period, IReadOnlyList<ConditionView> Conditions,
    IReadOnlyList<Guid> WebhookIds, bool Enabled, long CurrentCount, DateTime PeriodStart, DateTime PeriodEnd);

public sealed record FiringView(decimal Threshold, long Count, DateTime Fired, DateTime PeriodStart, string? DeliveryState);

public sealed class NotificationService(PortalDbContext db, TimeProvider time, PortalCaller caller, WebhookPortal.Features.Integrations.DeletionService deletion)
{
    public async Task<IReadOnlyList<RuleView>> ListAsync(Guid? integrationId, CancellationToken ct = default)
    {
        if (integrationId is { } id && !await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var rules = await db.NotificationRules.AsNoTracking().Where(r => integrationId == null || r.IntegrationId == integrationId).OrderBy(r => r.Name).ToListAsync(ct);
        var views = new List<RuleView>();
        foreach (var rule in rules)
        {
            views.Add(await ToViewAsync(rule, ct));
        }

        return views;
    }

    public async Task<RuleView> GetAsync(Guid integrationId, Guid ruleId, CancellationToken ct = default) => await ToViewAsync(await FindAsync(integrationId, ruleId, ct), ct);

    public async Task<RuleView> CreateAsync(Guid integrationId, RuleInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create notification rules");
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var rule = new NotificationRule { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", ConditionsJson = "[]", WebhookIdsJson = "[]", CreatedUtc = now, UpdatedUtc = now };
        await ApplyAsync(rule, input, creating: true, ct);
        db.NotificationRules.Add(rule);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return await ToViewAsync(rule, ct);
    }

    public async Task<RuleView> UpdateAsync(Guid integrationId, Guid ruleId, RuleInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change notification rules");
        var rule = await FindAsync(integrationId, ruleId, ct);
        await ApplyAsync(rule, input, creating: false, ct);
        rule.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return await ToViewAsync(rule, ct);
    }

    public async Task SetEnabledAsync(Guid ruleId, bool enabled, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("turn notification rules on or off");
        var rule = await db.NotificationRules.FirstOrDefaultAsync(r => r.Id == ruleId, ct) ?? throw new NotFoundException($"No rule with id {ruleId}.");
        rule.Enabled = enabled;
        rule.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
    }

    public async Task DeleteAsync(Guid integrationId, Guid ruleId, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete notification rules");
        await FindAsync(integrationId, ruleId, ct);
        await deletion.DeleteRuleAsync(ruleId, ct);
    }

    /// <summary>When each threshold fired, newest first, with its callback's delivery state.</summary>
    public async Task<IReadOnlyList<FiringView>> HistoryAsync(Guid ruleId, CancellationToken ct = default)
    {
        var firings = await db.RuleFirings.AsNoTracking().Where(f => f.RuleId == ruleId).OrderByDescending(f => f.Id).Take(200).ToListAsync(ct);
        var messageIds = firings.Select(f => f.MessageId).ToList();
        var states = await db.Deliveries.AsNoTracking().Where(d => messageIds.Contains(d.MessageId)).Select(d => new { d.MessageId, d.State }).ToListAsync(ct);
        return firings.Select(f => new FiringView(f.Threshold, f.Count, f.FiredUtc, f.PeriodStart,
            states.Where(s => s.MessageId == f.MessageId).Select(s => s.State).OrderBy(s => s == DeliveryStates.Failed ? 0 : s == DeliveryStates.Pending ? 1 : 2).FirstOrDefault())).ToList();
    }

    /// <summary>Validates conditions alone (the form's live preview uses it too).</summary>
    public static (List<ThresholdCondition> Conditions, Dictionary<string, string[]> Errors) ParseConditions(IReadOnlyList<ConditionInput>? inputs)
    {
        var errors = new Dictionary<string, string[]>();
        var conditions = new List<ThresholdCondition>();
        if (inputs is not { Count: > 0 })
        {
            errors["conditions"] = ["Add at least one condition."];
            return (conditions, errors);
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            ThresholdCondition? condition;
            if (input.UsageTarget is not null)
            {
                if (!ThresholdCondition.TryParse(input.UsageTarget, out condition))
                {
                    errors[$"conditions[{i}].usageTarget"] = ["Use the form '%= 80' or '%= 80 to 120 by 10'."];
                    continue;
                }
            }
            else if (input.From is null)
            {
                errors[$"conditions[{i}].from"] = ["From % is required."];
                continue;
            }
            else
            {
                condition = new ThresholdCondition(input.From.Value, input.To, input.Step);
            }

            foreach (var (field, message) in condition!.Validate())
            {
                errors[$"conditions[{i}].{field}"] = [message];
            }

            conditions.Add(condition);
        }

        // The cap holds for the rule as a whole: several conditions must not add up past it either.
        if (errors.Count == 0 && conditions.SelectMany(c => c.Thresholds()).Distinct().Count() > ThresholdCondition.MaxThresholds)
        {
            errors["conditions"] = [$"At most {ThresholdCondition.MaxThresholds} thresholds per rule in all: remove conditions or raise their Step %."];
        }

        return (conditions, errors);
    }

    /// <summary>Validates and applies the input; on update, what was left out keeps its value.</summary>
    private async Task ApplyAsync(NotificationRule rule, RuleInput input, bool creating, CancellationToken ct)
    {
        var keep = !creating;
        var (conditions, errors) = keep && input.Conditions is null
            ? (rule.Conditions.ToList(), new Dictionary<string, string[]>())
            : ParseConditions(input.Conditions);
        var name = input.Name?.Trim() ?? (keep ? rule.Name : "");
        if (name.Length is 0 or > 200)
        {
            errors["name"] = ["The name is required (at most 200 characters)."];
        }

        var target = input.Target ?? (keep ? (long?)rule.Target : null);
        if (target is not > 0)
        {
            errors["target"] = ["The target is a number of requests per period, more than 0."];
        }

        var period = input.Period ?? (keep ? (UsagePeriod?)rule.Period : null);
        if (period is null)
        {
            errors["period"] = ["The period is Day, Week or Month."];
        }

        var listenerOf = creating || input.Has("listenerId") ? input.ListenerId : rule.ListenerId;
        if (listenerOf is { } listenerId && !await db.Listeners.AnyAsync(l => l.Id == listenerId && l.IntegrationId == rule.IntegrationId, ct))
        {
            errors["listenerId"] = ["The listener does not exist in this integration."];
        }

        var webhookIds = (input.WebhookIds ?? (keep ? rule.WebhookIds.ToList() : null))?.Distinct().ToList() ?? [];
        if (webhookIds.Count == 0)
        {
            errors["webhookIds"] = ["Pick at least one webhook to notify."];
        }
        else
        {
            var known = await db.Webhooks.Where(w => webhookIds.Contains(w.Id) && w.IntegrationId == rule.IntegrationId).Select(w => w.Id).ToListAsync(ct);
            var unknown = webhookIds.Except(known).ToList();
            if (unknown.Count > 0)
            {
                errors["webhookIds"] = [$"Unknown webhooks for this integration: {string.Join(", ", unknown)}."];
            }
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        rule.Name = name;
        rule.ListenerId = listenerOf;
        rule.Target = target!.Value;
        rule.Period = period!.Value;
        rule.ConditionsJson = NotificationRule.Serialize(conditions);
        rule.WebhookIdsJson = NotificationRule.Serialize(webhookIds);
        rule.Enabled = input.Enabled ?? (creating || rule.Enabled);
    }

    private async Task<NotificationRule> FindAsync(Guid integrationId, Guid ruleId, CancellationToken ct) =>
        await db.NotificationRules.FirstOrDefaultAsync(r => r.Id == ruleId && r.IntegrationId == integrationId, ct) ?? throw new NotFoundException($"No rule with id {ruleId}.");

    private async Task<RuleView> ToViewAsync(NotificationRule rule, CancellationToken ct)
    {
        var (start, end) = UsagePeriods.Of(rule.Period, time.GetUtcNow().UtcDateTime);
        var count = await db.RuleUsage.AsNoTracking().Where(u => u.RuleId == rule.Id && u.PeriodStart == start).Select(u => u.Count).FirstOrDefaultAsync(ct);
        return new RuleView(rule.Id, rule.IntegrationId, rule.ListenerId, rule.Name, rule.Target, rule.Period,
            rule.Conditions.Select(c => new ConditionView(c.From, c.To, c.EffectiveStep, c.Expression, c.Thresholds())).ToList(),
            rule.WebhookIds, rule.Enabled, count, start, end);
    }
}
