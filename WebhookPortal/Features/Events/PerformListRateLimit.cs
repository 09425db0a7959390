using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.Events;

/// <summary>
/// <c>/api/hooks/perform-list</c> runs up to three event scripts per call, synchronously: each caller (an API key,
/// or a user) gets <see cref="ApiKeyOptions.PerformListPerMinute"/> calls a minute, then 429 with Retry-After.
/// </summary>
public sealed class PerformListRateLimit(IOptions<ApiKeyOptions> options) : IRateLimiterPolicy<string>
{
    public const string PolicyName = "perform-list";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public RateLimitPartition<string> GetPartition(HttpContext context)
    {
        // The endpoint's own policy answers an unauthenticated caller with 401; it has no budget to spend.
        if (CallerOf(context.User) is not { } caller)
        {
            return RateLimitPartition.GetNoLimiter("anonymous");
        }

        var limit = options.Value.PerformListPerMinute;
        return RateLimitPartition.GetFixedWindowLimiter(caller, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (rejected, _) =>
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : (int)Window.TotalSeconds;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many perform-list calls.",
                Detail = $"This caller may list sample payloads {context.RequestServices.GetRequiredService<IOptions<ApiKeyOptions>>().Value.PerformListPerMinute} times a minute; try again in {seconds} seconds.",
            },
        });
    };

    /// <summary>An API key counts as itself (whoever created it); anyone else by user id.</summary>
    private static string? CallerOf(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        if (user.FindFirstValue(ApiKeyAuthenticationHandler.ApiKeyIdClaim) is { } keyId)
        {
            return "key:" + keyId;
        }

        return user.FindFirstValue(ClaimTypes.NameIdentifier) is { } userId ? "user:" + userId : "name:" + user.Identity.Name;
    }
}
