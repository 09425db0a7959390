using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Tests.Infrastructure.Auth;

/// <summary>The overlap rule that listener tokens, listener signing secrets and webhook signing secrets share.</summary>
public sealed class CredentialOverlapTests
{
    private static readonly DateTime Now = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_overlap_asked_for_wins_over_the_configured_one_and_none_asked_takes_it()
    {
        Assert.Equal(TimeSpan.FromHours(1), CredentialOverlap.Of(TimeSpan.FromHours(1), TimeSpan.FromDays(1)));
        Assert.Equal(TimeSpan.Zero, CredentialOverlap.Of(TimeSpan.Zero, TimeSpan.FromDays(1)));
        Assert.Equal(TimeSpan.FromDays(1), CredentialOverlap.Of(null, TimeSpan.FromDays(1)));
        Assert.Equal(CredentialOverlap.Max, CredentialOverlap.Of(TimeSpan.FromDays(30), TimeSpan.Zero));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(30 * 24 * 3600 + 1)]
    public void An_overlap_outside_zero_to_thirty_days_is_refused_on_the_overlap_field(int seconds)
    {
        var refused = Assert.Throws<PortalValidationException>(() => CredentialOverlap.Of(TimeSpan.FromSeconds(seconds), TimeSpan.Zero));
        Assert.Equal(["overlap"], refused.Errors.Keys);

        // A configured default out of range is refused the same way (it is not silently clamped).
        Assert.Throws<PortalValidationException>(() => CredentialOverlap.Of(null, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void The_current_credential_is_kept_until_now_plus_the_overlap_and_nothing_without_one()
    {
        Assert.Equal(("old", Now.AddHours(2)), CredentialOverlap.Previous<string>("old", TimeSpan.FromHours(2), Now));
        Assert.Equal(((string?)null, (DateTime?)null), CredentialOverlap.Previous<string>("old", TimeSpan.Zero, Now));
        Assert.Equal(((string?)null, (DateTime?)null), CredentialOverlap.Previous<string>(null, TimeSpan.FromHours(2), Now));
    }
}
