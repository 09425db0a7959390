using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Deliveries;

public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Time allowed for the answer once connected.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(3);

    [Range(0, 100)]
    public int MaxRetries { get; set; } = 3;

    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The default retry schedule: <c>seed</c> (MaxRetries × RetryInterval, the drop-in default), <c>resilient</c>, or a list of delays.</summary>
    public string Schedule { get; set; } = RetrySchedule.SeedName;

    /// <summary>A webhook that has only failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a rotated webhook secret keeps signing beside the new one, unless the rotation names another overlap.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The furthest a receiver's Retry-After may move the next attempt.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The schedule a webhook's own setting names, or the default one when it names none.</summary>
    public RetrySchedule ScheduleFor(string? own)
    {
        if (own is not null && RetrySchedule.TryParse(own, MaxRetries, RetryInterval, out var mine, out _))
        {
            return mine;
        }

        return RetrySchedule.TryParse(Schedule, MaxRetries, RetryInterval, out var schedule, out _) ? schedule : RetrySchedule.Seed(MaxRetries, RetryInterval);
    }

    /// <summary>Bytes of the receiver's answer kept with each attempt.</summary>
    [Range(0, 1_048_576)]
    public int MaxResponseBodyBytes { get; set; } = 4096;

    public string UserAgent { get; set; } = "WebhookPortal/1.0";

    /// <summary>Finished deliveries, their messages and portal events older than this many days are deleted by the retention job.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>
    /// How long a claim outlives the timeouts of the attempts it covers, before another instance may take the delivery
    /// (the attempt's record and commit, a busy machine). A claim waiting long for a slot is renewed before its attempt.
    /// </summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts running at once in this process, to all receivers together.</summary>
    [Range(1, 1000)]
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>Attempts running at once to one receiver (a webhook, a subscription): a slow one holds no more than this.</summary>
    [Range(1, 1000)]
    public int MaxConcurrencyPerTarget { get; set; } = 4;
}
