using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Notifications;

/// <summary>Notification rules for the API and the pages: CRUD, validation of conditions, and the firing history.</summary>
public sealed class NotificationService(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, PortalCaller caller, WebhookPortal.Features.Integrations.DeletionService deletion)
{
    public async Task<IReadOnlyList<NotificationRuleView>> ListAsync(Guid? integrationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (integrationId is { } id && !await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var rules = await db.NotificationRules.AsNoTracking().Where(r => integrationId == null || r.IntegrationId == integrationId).OrderBy(r => r.Name).ToListAsync(ct);
        var views = new List<NotificationRuleView>();
        foreach (var rule in rules)
        {
            views.Add(await ToViewAsync(db, rule, ct));
        }

        return views;
    }

    public async Task<NotificationRuleView> GetAsync(Guid integrationId, Guid ruleId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ToViewAsync(db, await FindAsync(db, integrationId, ruleId, ct), ct);
    }

    public async Task<NotificationRuleView> CreateAsync(Guid integrationId, NotificationRuleRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create notification rules");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var rule = new NotificationRule { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", ConditionsJson = "[]", WebhookIdsJson = "[]", CreatedUtc = now, UpdatedUtc = now };
        await ApplyAsync(db, rule, input, creating: true, ct);
        db.NotificationRules.Add(rule);
        await db.SaveChangesAsync(ct);
        return await ToViewAsync(db, rule, ct);
    }

    public async Task<NotificationRuleView> UpdateAsync(Guid integrationId, Guid ruleId, NotificationRuleRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change notification rules");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, integrationId, ruleId, ct);
        await ApplyAsync(db, rule, input, creating: false, ct);
        rule.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return await ToViewAsync(db, rule, ct);
    }

    public async Task SetEnabledAsync(Guid ruleId, bool enabled, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("turn notification rules on or off");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await db.NotificationRules.FirstOrDefaultAsync(r => r.Id == ruleId, ct) ?? throw new NotFoundException($"No rule with id {ruleId}.");
        rule.Enabled = enabled;
        rule.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    public async Task DeleteAsync(Guid integrationId, Guid ruleId, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete notification rules");
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await FindAsync(db, integrationId, ruleId, ct);
        }


        await deletion.DeleteRuleAsync(ruleId, ct);
    }

    /// <summary>When each threshold fired, newest first, with its callback's delivery state.</summary>
    public async Task<IReadOnlyList<RuleFiringView>> HistoryAsync(Guid ruleId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var firings = await db.RuleFirings.AsNoTracking().Where(f => f.RuleId == ruleId).OrderByDescending(f => f.Id).Take(200).ToListAsync(ct);
        var messageIds = firings.Select(f => f.MessageId).ToList();
        var states = await db.Deliveries.AsNoTracking().Where(d => messageIds.Contains(d.MessageId)).Select(d => new { d.MessageId, d.State }).ToListAsync(ct);
        return firings.Select(f => new RuleFiringView(f.Threshold, f.Count, f.FiredUtc, f.PeriodStart,
            states.Where(s => s.MessageId == f.MessageId).Select(s => (DeliveryState?)s.State).OrderBy(s => s == DeliveryState.Failed ? 0 : s == DeliveryState.Pending ? 1 : 2).FirstOrDefault())).ToList();
    }

    /// <summary>Validates conditions alone (the form's live preview uses it too).</summary>
    public static (List<ThresholdCondition> Conditions, Dictionary<string, string[]> Errors) ParseConditions(IReadOnlyList<ThresholdConditionRequest>? inputs)
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
    private static async Task ApplyAsync(PortalDbContext db, NotificationRule rule, NotificationRuleRequest input, bool creating, CancellationToken ct)
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

    private static async Task<NotificationRule> FindAsync(PortalDbContext db, Guid integrationId, Guid ruleId, CancellationToken ct) =>
        await db.NotificationRules.FirstOrDefaultAsync(r => r.Id == ruleId && r.IntegrationId == integrationId, ct) ?? throw new NotFoundException($"No rule with id {ruleId}.");

    private async Task<NotificationRuleView> ToViewAsync(PortalDbContext db, NotificationRule rule, CancellationToken ct)
    {
        var (start, end) = UsagePeriods.Of(rule.Period, time.GetUtcNow().UtcDateTime);
        var count = await db.RuleUsage.AsNoTracking().Where(u => u.RuleId == rule.Id && u.PeriodStart == start).Select(u => u.Count).FirstOrDefaultAsync(ct);
        return new NotificationRuleView(rule.Id, rule.IntegrationId, rule.ListenerId, rule.Name, rule.Target, rule.Period,
            rule.Conditions.Select(c => new ThresholdConditionView(c.From, c.To, c.EffectiveStep, c.Expression, c.Thresholds())).ToList(),
            rule.WebhookIds, rule.Enabled, count, start, end);
    }
}
