using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Data;

namespace Microsoft.AspNetCore.Routing;

internal static class IdentityComponentsEndpointRouteBuilderExtensions
{
    // The endpoints the static Identity pages post to (antiforgery-validated form posts).
    public static IEndpointConventionBuilder MapAdditionalIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var accountGroup = endpoints.MapGroup("/Account").ExcludeFromDescription();

        accountGroup.MapPost("/Logout", async (
            HttpContext context,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] WebhookPortal.Features.Audit.AuditLog audit,
            [FromForm] string? returnUrl) =>
        {
            // Recorded before the cookie goes, while the request still says who signs out; an anonymous post records nothing.
            if (context.User.Identity?.IsAuthenticated == true)
            {
                var address = WebhookPortal.Features.Audit.AuditActors.AddressOf(context);
                var actor = WebhookPortal.Features.Audit.AuditActor.Of(context.User, address);
                await audit.RecordAsync("user.signed_out", WebhookPortal.Features.Audit.AuditResources.User, actor.Id, actor.Name,
                    $"Signed out from {address ?? "an unknown address"}", actor: actor);
            }

            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect($"~/{returnUrl}");
        }).AllowAnonymous();

        return accountGroup;
    }
}
