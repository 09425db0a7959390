using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Notifications;

/// <summary>
/// Counts accepted listener requests per rule and period and fires each threshold once. Runs inside the
/// receiver's write transaction: the count, the firing and the callback's deliveries commit together
/// with the request, so a threshold fires exactly once, even under concurrency (the count is one atomic
/// upsert and the firing an insert that yields to an existing one, so several instances agree too).
/// </summary>
public sealed class UsageMeter(PortalDbContext db, DeliveryOutbox outbox)
{
    public const string EventType = "usage.threshold";

    // The meter lives for one receiver batch (a scope): the rules of a listener are read once per batch, not per request.
    private readonly Dictionary<(Guid IntegrationId, Guid ListenerId), List<NotificationRule>> rulesOf = [];
    private readonly Dictionary<(Guid RuleId, DateTime PeriodStart), HashSet<decimal>> firedOf = [];

    // Compiled once: built from its expression tree for every batch, this query was 15 % of the receiver writer's own
    // CPU samples on a listener with no rules at all (perf, issue 17).
    private static readonly Func<PortalDbContext, Guid, Guid, IAsyncEnumerable<NotificationRule>> RulesOf =
        EF.CompileAsyncQuery((PortalDbContext db, Guid integrationId, Guid listenerId) =>
            db.NotificationRules.AsNoTracking().Where(r => r.Enabled && r.IntegrationId == integrationId && (r.ListenerId == null || r.ListenerId == listenerId)));

    public async Task<List<Delivery>> CountAsync(Guid integrationId, Guid listenerId, DateTime now, CancellationToken ct)
    {
        var staged = new List<Delivery>();
        if (!rulesOf.TryGetValue((integrationId, listenerId), out var rules))
        {
            rules = [];
            await foreach (var rule in RulesOf(db, integrationId, listenerId).WithCancellation(ct))
            {
                rules.Add(rule);
            }

            rulesOf[(integrationId, listenerId)] = rules;
        }

        foreach (var rule in rules)
        {
            var (start, end) = UsagePeriods.Of(rule.Period, now);
            var count = await IncrementAsync(rule.Id, start, ct);
            var fired = await FiredAsync(rule.Id, start, ct);
            foreach (var (percent, threshold) in rule.ThresholdCounts())
            {
                // Reached and not yet fired this period: also a threshold passed because the target was lowered.
                if (count >= threshold && fired.Add(percent))
                {
                    staged.AddRange(await FireAsync(rule, percent, count, start, end, now, ct));
                }
            }
        }

        return staged;
    }

    // One atomic statement, so instances sharing a PostgreSQL database never lose a count or collide on the period's first row.
    private async Task<long> IncrementAsync(Guid ruleId, DateTime periodStart, CancellationToken ct) =>
        (await db.Database.SqlQueryRaw<long>(
            "INSERT INTO \"RuleUsage\" (\"RuleId\", \"PeriodStart\", \"Count\") VALUES ({0}, {1}, 1) " +
            "ON CONFLICT (\"RuleId\", \"PeriodStart\") DO UPDATE SET \"Count\" = \"RuleUsage\".\"Count\" + 1 RETURNING \"Count\" AS \"Value\"",
            ruleId, periodStart).ToListAsync(ct))[0];

    private async Task<HashSet<decimal>> FiredAsync(Guid ruleId, DateTime periodStart, CancellationToken ct)
    {
        if (!firedOf.TryGetValue((ruleId, periodStart), out var fired))
        {
            fired = (await db.RuleFirings.AsNoTracking().Where(f => f.RuleId == ruleId && f.PeriodStart == periodStart).Select(f => f.Threshold).ToListAsync(ct)).ToHashSet();
            firedOf[(ruleId, periodStart)] = fired;
        }

        return fired;
    }

    private async Task<List<Delivery>> FireAsync(NotificationRule rule, decimal threshold, long count, DateTime start, DateTime end, DateTime now, CancellationToken ct)
    {
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == rule.IntegrationId, ct);
        var listenerName = rule.ListenerId is { } lid ? await db.Listeners.AsNoTracking().Where(l => l.Id == lid).Select(l => l.Name).FirstOrDefaultAsync(ct) : null;
        var ids = rule.WebhookIds.ToList();
        var targets = (await db.Webhooks.AsNoTracking().Where(w => ids.Contains(w.Id) && w.Enabled).ToListAsync(ct))
            .Select(w => new DeliveryRequest(DeliveryTargetKind.Webhook, w.Id, w.Name, w.PostUrl))
            .ToList();
        static long Ms(DateTime t) => new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var percentUsed = rule.Target == 0 ? 0 : Math.Round(count * 100m / rule.Target, 2);

        // The usage-notification body (docs/compatibility.md#mint-webhooks-api); fields with no meaning here are null. The portal adds ruleId … periodEnd.
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
        // The unique (rule, period, threshold) row decides: another instance that fired it first wins, and this one sends nothing.
        var messageId = Guid.CreateVersion7();
        var inserted = await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO \"RuleFirings\" (\"RuleId\", \"PeriodStart\", \"Threshold\", \"Count\", \"FiredUtc\", \"MessageId\") VALUES ({0}, {1}, {2}, {3}, {4}, {5}) " +
            "ON CONFLICT (\"RuleId\", \"PeriodStart\", \"Threshold\") DO NOTHING",
            [rule.Id, start, threshold, count, now, messageId], ct);
        if (inserted == 0)
        {
            return [];
        }

        WebhookPortal.Infrastructure.Telemetry.PortalTelemetry.NotificationFired(rule.Id, threshold);

        var (_, staged) = outbox.Stage(db, rule.IntegrationId, EventType, payload, targets, messageId);
        return staged;
    }
}
