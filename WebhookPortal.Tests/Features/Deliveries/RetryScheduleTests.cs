using System.Net.Http.Headers;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>The schedule and Retry-After arithmetic, pure.</summary>
public sealed class RetryScheduleTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

    private static RetrySchedule Parse(string text)
    {
        Assert.True(RetrySchedule.TryParse(text, 3, TimeSpan.FromMinutes(5), out var schedule, out var error), error);
        return schedule;
    }

    [Fact]
    public void Seed_is_max_retries_times_the_interval_without_jitter()
    {
        var seed = Parse("seed");

        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMinutes(5), 3), seed.Delays);
        Assert.Equal(0, seed.Jitter);
        Assert.Equal("4 attempts over 15 minutes", seed.Describe());
    }

    [Fact]
    public void Resilient_spans_about_a_day_in_eight_attempts()
    {
        var resilient = Parse("Resilient");

        Assert.Equal(8, resilient.Attempts);
        Assert.Equal("8 attempts over about 27 hours", resilient.Describe());
        Assert.Equal(TimeSpan.FromSeconds(5), resilient.Delays[0]);
    }

    [Theory]
    [InlineData("00:00:05,00:05:00,00:30:00", "00:00:05,00:05:00,00:30:00", "4 attempts over 35 minutes")]
    [InlineData(" 00:00:01 , 1.00:00:00 ", "00:00:01,1.00:00:00", "3 attempts over 24 hours")]
    public void A_list_of_delays_is_kept_in_canonical_form(string text, string canonical, string words)
    {
        var schedule = Parse(text);

        Assert.Equal(canonical, schedule.Text);
        Assert.Equal(words, schedule.Describe());
        Assert.Equal(0, schedule.Jitter);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("00:00:05,,00:01:00")]
    [InlineData("-00:00:05")]
    [InlineData("8.00:00:00")]
    [InlineData("5 minutes")]
    public void Anything_else_is_refused_with_a_reason(string text)
    {
        Assert.False(RetrySchedule.TryParse(text, 3, TimeSpan.FromMinutes(5), out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void More_than_fifty_retries_are_refused() =>
        Assert.False(RetrySchedule.TryParse(string.Join(",", Enumerable.Repeat("00:00:01", 51)), 3, TimeSpan.FromMinutes(5), out _, out _));

    [Theory]
    [InlineData(-1.0, 4)]
    [InlineData(0.0, 5)]
    [InlineData(1.0, 6)]
    [InlineData(7.0, 6)]
    public void Jitter_stays_within_twenty_percent(double sample, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetrySchedule.Resilient.DelayBefore(1, sample));

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    public void Resilient_retries_timeouts_and_throttling_that_seed_fails(int status)
    {
        var outcome = new AttemptOutcome(status, "no");

        Assert.Equal(AttemptVerdict.Retry, RetryPolicy.Decide(outcome, 1, RetrySchedule.Resilient, Now).Verdict);
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(outcome, 1, Parse("seed"), Now).Verdict);
    }

    [Fact]
    public void Resilient_waits_its_delays_and_fails_after_the_last()
    {
        var outcome = new AttemptOutcome(500, "no");

        Assert.Equal(Now + TimeSpan.FromSeconds(5), RetryPolicy.Decide(outcome, 1, RetrySchedule.Resilient, Now).NextAttemptUtc);
        Assert.Equal(Now + TimeSpan.FromHours(2), RetryPolicy.Decide(outcome, 4, RetrySchedule.Resilient, Now).NextAttemptUtc);
        Assert.Equal(AttemptVerdict.Retry, RetryPolicy.Decide(outcome, 7, RetrySchedule.Resilient, Now).Verdict);
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(outcome, 8, RetrySchedule.Resilient, Now).Verdict);
    }

    [Fact]
    public void Gone_and_a_guarded_url_fail_at_once_on_every_schedule()
    {
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(new AttemptOutcome(410, "gone"), 1, RetrySchedule.Resilient, Now).Verdict);
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(new AttemptOutcome(null, "guard", Blocked: true), 1, RetrySchedule.Resilient, Now).Verdict);
    }

    [Theory]
    [InlineData(429, 120, 120)]
    [InlineData(503, 120, 120)]
    [InlineData(503, 0, 0)]
    [InlineData(429, 999_999, 3_600)]
    public void Retry_after_on_429_and_503_moves_the_next_attempt_up_to_the_maximum(int status, int retryAfterSeconds, int expectedSeconds)
    {
        var outcome = new AttemptOutcome(status, "busy", RetryAfter: TimeSpan.FromSeconds(retryAfterSeconds));

        var (verdict, next) = RetryPolicy.Decide(outcome, 1, RetrySchedule.Resilient, Now, 0, TimeSpan.FromHours(1));

        Assert.Equal(AttemptVerdict.Retry, verdict);
        Assert.Equal(Now + TimeSpan.FromSeconds(expectedSeconds), next);
    }

    [Fact]
    public void Retry_after_on_another_status_or_under_the_seed_schedule_changes_nothing()
    {
        var withRetryAfter500 = new AttemptOutcome(500, "x", RetryAfter: TimeSpan.FromSeconds(60));
        Assert.Equal(Now + TimeSpan.FromSeconds(5), RetryPolicy.Decide(withRetryAfter500, 1, RetrySchedule.Resilient, Now).NextAttemptUtc);

        var withRetryAfter503 = new AttemptOutcome(503, "x", RetryAfter: TimeSpan.FromSeconds(60));
        Assert.Equal(Now + TimeSpan.FromMinutes(5), RetryPolicy.Decide(withRetryAfter503, 1, Parse("seed"), Now).NextAttemptUtc);
    }

    [Fact]
    public void Retry_after_reads_seconds_and_http_dates()
    {
        var now = new DateTimeOffset(Now);

        Assert.Equal(TimeSpan.FromSeconds(90), DeliveryWorker.RetryAfter(RetryConditionHeaderValue.Parse("90"), now));
        Assert.Equal(TimeSpan.FromMinutes(2), DeliveryWorker.RetryAfter(RetryConditionHeaderValue.Parse(now.AddMinutes(2).ToString("r")), now));
        Assert.Null(DeliveryWorker.RetryAfter(null, now));
    }

    [Fact]
    public void A_webhooks_own_schedule_wins_over_the_default_and_a_bad_one_falls_back()
    {
        var options = new DeliveryOptions { Schedule = "resilient" };

        Assert.Equal("resilient", options.ScheduleFor(null).Text);
        Assert.Equal("00:00:01", options.ScheduleFor("00:00:01").Text);
        Assert.Equal("seed", options.ScheduleFor("seed").Text);
        Assert.Equal("resilient", options.ScheduleFor("nonsense").Text);
        Assert.Equal("seed", new DeliveryOptions().ScheduleFor(null).Text);
    }
}
