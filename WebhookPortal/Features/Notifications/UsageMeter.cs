using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Notifications;

/// <summary>
/// Counts accepted listener requests per rule and period and fires each threshold once. Runs inside the
/// receiver's write transaction (single writer): the count, the firing and the callback's deliveries
/// commit together with the request, so a threshold fires exactly once, even under concurrency.
/// </summary>
public sealed class UsageMeter(PortalDbContext db, DeliveryService deliveries)
{
    public const string EventType = "usage.threshold";

    // The meter lives for one receiver batch (a scope): the rules of a listener are read once per batch, not per request.
    private readonly Dictionary<(Guid IntegrationId, Guid ListenerId), List<NotificationRule>> rulesOf = [];

    public async Task<List<Delivery>> CountAsync(Guid integrationId, Guid listenerId, DateTime now, CancellationToken ct)
    {
        var staged = new List<Delivery>();
        if (!rulesOf.TryGetValue((integrationId, listenerId), out var rules))
        {
            rules = await db.NotificationRules.AsNoTracking()
                .Where(r => r.Enabled && r.IntegrationId == integrationId && (r.ListenerId == null || r.ListenerId == listenerId))
                .ToListAsync(ct);
            rulesOf[(integrationId, listenerId)] = rules;
        }

        foreach (var rule in rules)
        {
            var (start, end) = UsagePeriods.Of(rule.Period, now);
            var usage = await db.RuleUsage.FindAsync([rule.Id, start], ct);
            if (usage is null)
            {
                usage = new RuleUsage { RuleId = rule.Id, PeriodStart = start };
                db.RuleUsage.Add(usage);
            }

            var before = usage.Count;
            usage.Count++;
            foreach (var (percent, count) in rule.ThresholdCounts())
            {
                if (before < count && usage.Count >= count)
                {
                    staged.AddRange(await FireAsync(rule, percent, usage.Count, start, end, now, ct));
                }
            }
        }

        return staged;
    }

    private async Task<List<Delivery>> FireAsync(NotificationRule rule, decimal threshold, long count, DateTime start, DateTime end, DateTime now, CancellationToken ct)
    {
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == rule.IntegrationId, ct);
        var listenerName = rule.ListenerId is { } lid ? await db.Listeners.AsNoTracking().Where(l => l.Id == lid).Select(l => l.Name).FirstOrDefaultAsync(ct) : null;
        var ids = rule.WebhookIds.ToList();
        var targets = (await db.Webhooks.AsNoTracking().Where(w => ids.Contains(w.Id) && w.Enabled).ToListAsync(ct))
            .Select(w => new DeliveryRequest(DeliveryTargets.Webhook, w.Id, w.Name, w.PostUrl))
            .ToList();
        static long Ms(DateTime t) => new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var percentUsed = rule.Target == 0 ? 0 : Math.Round(count * 100m / rule.Target, 2);

        // Seed 003's callback body; fields with no meaning here are null. The portal adds ruleId … periodEnd.
        var payload = NotificationRule.Serialize(new Dictionary<string, object?>
        {
            ["orgName"] = integration.Name,
            ["developerEmail"] = null,
            ["developerFirstName"] = null,
            ["developerLastName"] = null,
            ["companyName"] = null,
            ["applicationName"] = listenerName,
            ["packageName"] = null,
            ["packageId"] = null,
            ["ratePlanId"] = rule.Id,
            ["ratePlanName"] = rule.Name,
            ["ratePlanType"] = null,
            ["developerRatePlanQuotaTarget"] = rule.Target,
            ["quotaPercentUsed"] = percentUsed,
            ["ratePlanStartDate"] = Ms(start),
            ["ratePlanEndDate"] = Ms(end),
            ["nextBillingCycleStartDate"] = Ms(end),
            ["products"] = Array.Empty<string>(),
            ["developerCustomAttributes"] = Array.Empty<object>(),
            ["triggerTime"] = Ms(now),
            ["triggerReason"] = $"Usage reached {ThresholdCondition.Format(threshold)}% of the target ({count} of {rule.Target} requests this {rule.Period.ToString().ToLowerInvariant()}).",
            ["developerQuotaResetDate"] = end.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["ruleId"] = rule.Id,
            ["threshold"] = threshold,
            ["count"] = count,
            ["target"] = rule.Target,
            ["periodStart"] = start,
            ["periodEnd"] = end,
        });
        var (message, staged) = deliveries.Stage(rule.IntegrationId, EventType, payload, targets);
        db.RuleFirings.Add(new RuleFiring { RuleId = rule.Id, PeriodStart = start, Threshold = threshold, Count = count, FiredUtc = now, MessageId = message.Id });
        return staged;
    }
}
