using System.Globalization;
using System.Text.Json;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Notifications;

/// <summary>The body as OpenAPI shows it; it is read leniently by <see cref="MintNotificationConditionRequest.Parse"/>.</summary>
public sealed record MintNotificationConditionBody(
    IReadOnlyList<MintConditionAttribute> NotificationCondition, IReadOnlyList<MintNotificationAction> Actions, string? Name, long? Target, UsagePeriod? Period, bool? Enabled);

/// <summary>A UsageTarget expression and where it was in <c>notificationCondition</c> (for error keys).</summary>
public sealed record MintUsageTarget(int Index, string Expression);

/// <summary>
/// A notification-condition body as read (docs/compatibility.md#mint-notification-conditions-api). Null = not sent,
/// which on update keeps the rule's value: <see cref="RatePlan"/> (what the rule counts), <see cref="UsageTargets"/>
/// (its conditions), <see cref="WebhookIds"/> (its actions) and the portal's own <c>name</c>, <c>target</c>, <c>period</c>, <c>enabled</c>.
/// </summary>
public sealed record MintNotificationConditionRequest(
    string? RatePlan, int RatePlanIndex, IReadOnlyList<MintUsageTarget>? UsageTargets, IReadOnlyList<Guid>? WebhookIds,
    string? Name, long? Target, UsagePeriod? Period, bool? Enabled)
{
    public const string RatePlanAttribute = "RATEPLAN";
    public const string PublishedAttribute = "PUBLISHED";
    public const string UsageTargetAttribute = "UsageTarget";
    public const string WebhookAction = "WEBHOOK";

    /// <summary>Reads the body; every problem found is reported at once, keyed by where it is in the body.</summary>
    public static MintNotificationConditionRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new PortalValidationException("body", "The body must be a JSON object with 'notificationCondition' and 'actions'.");
        }

        var errors = new Dictionary<string, string[]>();
        string? ratePlan = null;
        var ratePlanIndex = -1;
        List<MintUsageTarget>? usageTargets = null;
        if (Present(body, "notificationCondition") is { } conditions)
        {
            if (conditions.ValueKind != JsonValueKind.Array)
            {
                errors["notificationCondition"] = ["'notificationCondition' must be an array of {\"attribute\", \"value\"} objects."];
            }
            else
            {
                var i = -1;
                foreach (var item in conditions.EnumerateArray())
                {
                    i++;
                    var at = $"notificationCondition[{i}]";
                    if (item.ValueKind != JsonValueKind.Object || Present(item, "attribute") is not { ValueKind: JsonValueKind.String } attribute)
                    {
                        errors[at + ".attribute"] = ["Each condition is an object with a string 'attribute' (RATEPLAN, PUBLISHED or UsageTarget) and a 'value'."];
                        continue;
                    }

                    var name = attribute.GetString()!;
                    var value = Scalar(Present(item, "value"));
                    if (Is(name, PublishedAttribute))
                    {
                        // Rules here are always live: PUBLISHED is accepted and not stored.
                        continue;
                    }

                    if (value is null)
                    {
                        errors[at + ".value"] = [$"'{name}' needs a string 'value'."];
                    }
                    else if (Is(name, RatePlanAttribute))
                    {
                        if (ratePlan is not null)
                        {
                            errors[at + ".attribute"] = ["Only one RATEPLAN: a rule counts one listener or the whole organization."];
                        }
                        else if (value.Trim().Length == 0)
                        {
                            errors[at + ".value"] = ["RATEPLAN names a listener (id or name) or the organization itself."];
                        }
                        else
                        {
                            (ratePlan, ratePlanIndex) = (value.Trim(), i);
                        }
                    }
                    else if (Is(name, UsageTargetAttribute))
                    {
                        if (!ThresholdCondition.TryParse(value, out var condition))
                        {
                            errors[at + ".value"] = [$"'{value}' is not a usage target: use '%= 80' or '%= 80 to 120 by 10'."];
                        }
                        else if (condition!.Validate() is { Count: > 0 } invalid)
                        {
                            errors[at + ".value"] = [.. invalid.Values];
                        }
                        else
                        {
                            (usageTargets ??= []).Add(new MintUsageTarget(i, value));
                        }
                    }
                    else
                    {
                        errors[at + ".attribute"] = [$"Unknown attribute '{name}': use RATEPLAN, PUBLISHED or UsageTarget."];
                    }
                }
            }
        }

        List<Guid>? webhookIds = null;
        if (Present(body, "actions") is { } actions)
        {
            if (actions.ValueKind != JsonValueKind.Array)
            {
                errors["actions"] = ["'actions' must be an array of {\"actionAttribute\": \"WEBHOOK\", \"value\": \"<webhook id>\"} objects."];
            }
            else
            {
                webhookIds = [];
                var i = -1;
                foreach (var item in actions.EnumerateArray())
                {
                    i++;
                    var at = $"actions[{i}]";
                    if (item.ValueKind != JsonValueKind.Object || Present(item, "actionAttribute") is not { ValueKind: JsonValueKind.String } kind || !Is(kind.GetString()!, WebhookAction))
                    {
                        errors[at + ".actionAttribute"] = ["Each action is {\"actionAttribute\": \"WEBHOOK\", \"value\": \"<webhook id>\"}; WEBHOOK is the only action."];
                    }
                    else if (!Guid.TryParse(Scalar(Present(item, "value")), out var id))
                    {
                        errors[at + ".value"] = ["The value of a WEBHOOK action is a webhook's id (a UUID)."];
                    }
                    else
                    {
                        webhookIds.Add(id);
                    }
                }
            }
        }

        string? ruleName = null;
        if (Present(body, "name") is { } n)
        {
            if (n.ValueKind == JsonValueKind.String)
            {
                ruleName = n.GetString();
            }
            else
            {
                errors["name"] = ["'name' must be a string."];
            }
        }

        long? target = null;
        if (Present(body, "target") is { } t)
        {
            if (long.TryParse(Scalar(t), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
            {
                target = parsed;
            }
            else
            {
                errors["target"] = ["'target' is the number of requests per period that is 100 %: a whole number above 0."];
            }
        }

        UsagePeriod? period = null;
        if (Present(body, "period") is { } p)
        {
            if (p.ValueKind == JsonValueKind.String && Enum.TryParse<UsagePeriod>(p.GetString(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !p.GetString()!.Trim().All(char.IsAsciiDigit))
            {
                period = parsed;
            }
            else
            {
                errors["period"] = ["'period' is Day, Week or Month."];
            }
        }

        bool? enabled = null;
        if (Present(body, "enabled") is { } e)
        {
            enabled = e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when bool.TryParse(e.GetString(), out var b) => b,
                _ => null,
            };
            if (enabled is null)
            {
                errors["enabled"] = ["'enabled' must be true or false (a boolean or the strings \"true\"/\"false\")."];
            }
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        return new MintNotificationConditionRequest(ratePlan, ratePlanIndex, usageTargets, webhookIds, ruleName, target, period, enabled);
    }

    // Attribute names as the vendor spells them, in any casing.
    private static bool Is(string name, string expected) => string.Equals(name.Trim(), expected, StringComparison.OrdinalIgnoreCase);

    private static JsonElement? Present(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    // Values are strings in the vendor's examples; numbers and booleans are taken as their text.
    private static string? Scalar(JsonElement? value) => value?.ValueKind switch
    {
        JsonValueKind.String => value.Value.GetString(),
        JsonValueKind.Number => value.Value.GetRawText(),
        JsonValueKind.True => "TRUE",
        JsonValueKind.False => "FALSE",
        _ => null,
    };
}
