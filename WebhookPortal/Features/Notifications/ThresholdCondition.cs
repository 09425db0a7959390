using System.Globalization;
using System.Text.RegularExpressions;

namespace WebhookPortal.Features.Notifications;

/// <summary>A "notify at" condition: From % alone, or From % to To % by Step % (the expression <c>%= 80 to 120 by 10</c> of docs/compatibility.md#mint-webhooks-api).</summary>
public sealed record ThresholdCondition(decimal From, decimal? To, decimal? Step)
{
    public const decimal DefaultStep = 10;
    public const int MaxThresholds = 100;

    public decimal EffectiveStep => Step ?? DefaultStep;

    /// <summary>The percentages this condition notifies at, ascending.</summary>
    public IReadOnlyList<decimal> Thresholds()
    {
        if (To is not { } to)
        {
            return [From];
        }

        var result = new List<decimal>();
        for (var value = From; value <= to && result.Count <= MaxThresholds; value += EffectiveStep)
        {
            result.Add(value);
        }

        return result;
    }

    /// <summary>The expression form (docs/compatibility.md#mint-webhooks-api): <c>%= 80</c> or <c>%= 80 to 120 by 10</c>.</summary>
    public string Expression => To is { } to
        ? $"%= {Format(From)} to {Format(to)} by {Format(EffectiveStep)}"
        : $"%= {Format(From)}";

    /// <summary>Messages per field; empty when valid.</summary>
    public Dictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        if (From < 0)
        {
            errors["from"] = "From % must be 0 or more.";
        }

        if (To is { } to && to < From)
        {
            errors["to"] = "To % must not be less than From %.";
        }

        if (Step is { } step && step <= 0)
        {
            errors["step"] = "Step % must be more than 0.";
        }
        else if (To is { } upper && upper >= From && (upper - From) / EffectiveStep + 1 > MaxThresholds)
        {
            errors["step"] = $"At most {MaxThresholds} thresholds per condition: raise Step % or narrow From–To.";
        }

        return errors;
    }

    private static readonly Regex ExpressionPattern = new(
        @"^\s*%=\s*(?<from>\d+(\.\d+)?)\s*(to\s+(?<to>\d+(\.\d+)?)\s*(by\s+(?<step>\d+(\.\d+)?)\s*)?)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    public static bool TryParse(string? expression, out ThresholdCondition? condition)
    {
        condition = null;
        if (expression is null)
        {
            return false;
        }

        var match = ExpressionPattern.Match(expression);
        if (!match.Success)
        {
            return false;
        }

        static decimal? Number(Group group) => group.Success ? decimal.Parse(group.Value, CultureInfo.InvariantCulture) : null;
        condition = new ThresholdCondition(Number(match.Groups["from"])!.Value, Number(match.Groups["to"]), Number(match.Groups["step"]));
        return true;
    }

    public static string Format(decimal value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
