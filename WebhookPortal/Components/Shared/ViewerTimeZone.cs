using Microsoft.JSInterop;

namespace WebhookPortal.Components.Shared;

/// <summary>
/// The time zone of the browser looking at the page (one per circuit), asked once through JavaScript. Until it
/// is known (prerendering, or a browser that does not say) times are shown in UTC.
/// </summary>
public sealed class ViewerTimeZone(IJSRuntime js, ILogger<ViewerTimeZone> logger)
{
    private Task<TimeZoneInfo?>? zone;

    public Task<TimeZoneInfo?> GetAsync() => zone ??= LoadAsync();

    private async Task<TimeZoneInfo?> LoadAsync()
    {
        try
        {
            var id = await js.InvokeAsync<string?>("portal.timeZone");
            return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : null;
        }
        catch (Exception e) when (e is JSException or InvalidOperationException or TaskCanceledException or JSDisconnectedException)
        {
            // Prerendering has no browser yet; ask again next time.
            logger.LogDebug("The browser's time zone is not known yet: {Reason}", e.Message);
            zone = null;
            return null;
        }
    }

    /// <summary>A UTC time as the viewer reads it: local with its offset when the zone is known, else marked UTC.</summary>
    public static string Format(DateTime utc, TimeZoneInfo? zone)
    {
        utc = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        if (zone is null)
        {
            return utc.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " UTC";
        }

        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
        var offset = zone.GetUtcOffset(utc);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var zoneText = offset == TimeSpan.Zero ? "" : $" (UTC{sign}{offset:hh\\:mm})";
        return local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + zoneText;
    }
}
