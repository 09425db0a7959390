using System.Globalization;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// When a failed delivery is tried again: one delay per retry. Presets: <c>seed</c> (the mint webhooks API's
/// policy: <c>Delivery:MaxRetries</c> retries <c>Delivery:RetryInterval</c> apart, only 5xx, timeouts and connection
/// errors retried, <c>Retry-After</c> not read) and <c>resilient</c> (about a day, ±20 % jitter, 408 and 429 retried
/// too, <c>Retry-After</c> honoured). A comma-separated list of delays (<c>00:00:05,00:05:00</c>) behaves like
/// <c>resilient</c> without jitter. Pure.
/// </summary>
public sealed record RetrySchedule(string Text, IReadOnlyList<TimeSpan> Delays, double Jitter, bool RetriesThrottling, bool HonoursRetryAfter)
{
    public const string SeedName = "seed";
    public const string ResilientName = "resilient";

    /// <summary>At most this many retries in a custom list, each at most <see cref="MaxDelay"/>.</summary>
    public const int MaxRetries = 50;

    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    public static readonly IReadOnlyList<TimeSpan> ResilientDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>Every attempt, the first included.</summary>
    public int Attempts => Delays.Count + 1;

    /// <summary>From the first attempt to the last, without jitter.</summary>
    public TimeSpan Span => Delays.Aggregate(TimeSpan.Zero, (sum, d) => sum + d);

    public static RetrySchedule Seed(int maxRetries, TimeSpan interval) =>
        new(SeedName, Enumerable.Repeat(interval, maxRetries).ToList(), 0, RetriesThrottling: false, HonoursRetryAfter: false);

    public static readonly RetrySchedule Resilient = new(ResilientName, ResilientDelays, 0.2, RetriesThrottling: true, HonoursRetryAfter: true);

    /// <summary>Reads a preset name or a list of delays; the error says what is wrong.</summary>
    public static bool TryParse(string? text, int seedRetries, TimeSpan seedInterval, out RetrySchedule schedule, out string? error)
    {
        schedule = Resilient;
        error = null;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Equals(SeedName, StringComparison.OrdinalIgnoreCase))
        {
            schedule = Seed(seedRetries, seedInterval);
            return true;
        }

        if (trimmed.Equals(ResilientName, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var parts = trimmed.Split(',', StringSplitOptions.TrimEntries);
        if (trimmed.Length == 0 || parts.Any(p => p.Length == 0))
        {
            error = "Use 'seed', 'resilient' or a comma-separated list of delays such as 00:00:05,00:05:00,00:30:00.";
            return false;
        }

        if (parts.Length > MaxRetries)
        {
            error = $"At most {MaxRetries} retries.";
            return false;
        }

        var delays = new List<TimeSpan>();
        foreach (var part in parts)
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var delay) || delay < TimeSpan.Zero || delay > MaxDelay)
            {
                error = $"'{part}' is not a delay between 00:00:00 and 7.00:00:00 (d.hh:mm:ss).";
                return false;
            }

            delays.Add(delay);
        }

        schedule = new RetrySchedule(string.Join(",", delays.Select(d => d.ToString("c", CultureInfo.InvariantCulture))), delays, 0, RetriesThrottling: true, HonoursRetryAfter: true);
        return true;
    }

    /// <summary>The delay before retry <paramref name="retry"/> (1-based), with jitter from <paramref name="sample"/> in [-1, 1].</summary>
    public TimeSpan DelayBefore(int retry, double sample) =>
        Delays[retry - 1] * (1 + Jitter * Math.Clamp(sample, -1, 1));

    /// <summary>"8 attempts over about 27 hours", for the webhook form.</summary>
    public string Describe()
    {
        if (Delays.Count == 0)
        {
            return "1 attempt, no retry";
        }

        return $"{Attempts} attempts over {(Jitter > 0 ? "about " : "")}{Words(Span)}";
    }

    /// <summary>A duration in the largest unit that reads well: "15 minutes", "27 hours", "3 days".</summary>
    public static string Words(TimeSpan span)
    {
        static string Plural(double n, string unit)
        {
            // "about 27 hours" for 27.6: whole units from 10 on, one decimal below.
            var rounded = n >= 10 ? Math.Floor(n) : Math.Round(n, 1);
            return $"{rounded.ToString(CultureInfo.InvariantCulture)} {unit}{(rounded == 1 ? "" : "s")}";
        }

        return span.TotalSeconds < 90 ? Plural(span.TotalSeconds, "second")
            : span.TotalMinutes < 90 ? Plural(span.TotalMinutes, "minute")
            : span.TotalHours < 48 ? Plural(span.TotalHours, "hour")
            : Plural(span.TotalDays, "day");
    }
}
