using WebhookPortal.Features.Notifications;

namespace WebhookPortal.Tests.Features.Notifications;

public sealed class ThresholdTests
{
    [Fact]
    public void From_alone_is_one_threshold() => Assert.Equal([80m], new ThresholdCondition(80, null, null).Thresholds());

    [Fact]
    public void From_to_by_step_lists_every_step_and_step_defaults_to_ten()
    {
        Assert.Equal([80m, 90m, 100m, 110m, 120m], new ThresholdCondition(80, 120, null).Thresholds());
        Assert.Equal([0m, 25m, 50m], new ThresholdCondition(0, 60, 25).Thresholds());
        Assert.Equal([12.5m, 15m], new ThresholdCondition(12.5m, 15, 2.5m).Thresholds());
    }

    [Theory]
    [InlineData("%= 80 to 120 by 10", 80.0, 120.0, 10.0)]
    [InlineData("%=80 to 120", 80.0, 120.0, null)]
    [InlineData("  %= 75  ", 75.0, null, null)]
    [InlineData("%= 12.5 TO 50 BY 12.5", 12.5, 50.0, 12.5)]
    public void Parses_the_seed_expression(string expression, double from, double? to, double? step)
    {
        Assert.True(ThresholdCondition.TryParse(expression, out var condition));
        Assert.Equal((decimal)from, condition!.From);
        Assert.Equal(to is null ? null : (decimal?)to, condition.To);
        Assert.Equal(step is null ? null : (decimal?)step, condition.Step);
    }

    [Theory]
    [InlineData("80 to 120")]
    [InlineData("%= -5")]
    [InlineData("%= 80 to")]
    [InlineData("%= eighty")]
    [InlineData("")]
    public void Refuses_unparsable_expressions(string expression) => Assert.False(ThresholdCondition.TryParse(expression, out _));

    [Theory]
    [InlineData(80.0, null, null)]
    [InlineData(80.0, 120.0, 10.0)]
    [InlineData(0.0, 100.0, 12.5)]
    public void Formatting_and_parsing_round_trip(double from, double? to, double? step)
    {
        var condition = new ThresholdCondition((decimal)from, (decimal?)to, (decimal?)step);
        Assert.True(ThresholdCondition.TryParse(condition.Expression, out var parsed));
        Assert.Equal(condition.Thresholds(), parsed!.Thresholds());
        Assert.Equal(condition.Expression, parsed.Expression);
    }

    [Fact]
    public void The_expression_shows_the_default_step() => Assert.Equal("%= 80 to 120 by 10", new ThresholdCondition(80, 120, null).Expression);

    [Theory]
    [InlineData(-1.0, null, null, "from")]
    [InlineData(50.0, 40.0, null, "to")]
    [InlineData(10.0, 20.0, 0.0, "step")]
    [InlineData(10.0, 20.0, -5.0, "step")]
    [InlineData(0.0, 1000.0, 1.0, "step")]
    public void Validation_names_the_field(double from, double? to, double? step, string field) =>
        Assert.True(new ThresholdCondition((decimal)from, (decimal?)to, (decimal?)step).Validate().ContainsKey(field));

    [Fact]
    public void Exactly_one_hundred_thresholds_is_allowed() =>
        Assert.Empty(new ThresholdCondition(1, 100, 1).Validate());

    [Fact]
    public void Periods_are_utc_day_iso_week_and_calendar_month()
    {
        var wednesday = new DateTime(2026, 11, 25, 15, 30, 0, DateTimeKind.Utc);
        Assert.Equal((new DateTime(2026, 11, 25), new DateTime(2026, 11, 26)), UsagePeriods.Of(UsagePeriod.Day, wednesday));
        Assert.Equal((new DateTime(2026, 11, 23), new DateTime(2026, 11, 30)), UsagePeriods.Of(UsagePeriod.Week, wednesday));
        Assert.Equal((new DateTime(2026, 11, 1), new DateTime(2026, 12, 1)), UsagePeriods.Of(UsagePeriod.Month, wednesday));
        var sunday = new DateTime(2026, 11, 29, 23, 59, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 11, 23), UsagePeriods.Of(UsagePeriod.Week, sunday).Start);
    }
}
