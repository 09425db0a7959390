namespace WebhookPortal.Features.Notifications;

public static class UsagePeriods
{
    /// <summary>The UTC period that contains <paramref name="now"/>: a day, an ISO week (Monday) or a calendar month.</summary>
    public static (DateTime Start, DateTime End) Of(UsagePeriod period, DateTime now)
    {
        var day = now.Date;
        return period switch
        {
            UsagePeriod.Day => (day, day.AddDays(1)),
            UsagePeriod.Week => WeekOf(day),
            _ => (new DateTime(day.Year, day.Month, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(day.Year, day.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1)),
        };
    }

    private static (DateTime, DateTime) WeekOf(DateTime day)
    {
        var offset = ((int)day.DayOfWeek + 6) % 7;
        var start = DateTime.SpecifyKind(day.AddDays(-offset), DateTimeKind.Utc);
        return (start, start.AddDays(7));
    }
}
