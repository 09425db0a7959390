using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Server.Circuits;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.Audit;

/// <summary>Who made a change: a user, an API key, the portal itself (a job) or an anonymous caller; and from which address.</summary>
public sealed record AuditActor(string Kind, string? Id, string? Name, string? Address)
{
    public static AuditActor System(string name = "system") => new(AuditActorKinds.System, null, name, null);

    /// <summary>A user or an API key from its principal; anonymous when it is not authenticated.</summary>
    public static AuditActor Of(ClaimsPrincipal? user, string? address)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return new AuditActor(AuditActorKinds.Anonymous, null, null, address);
        }

        if (user.FindFirstValue(ApiKeyAuthenticationHandler.ApiKeyIdClaim) is { } keyId)
        {
            var name = user.Identity.Name ?? "";
            return new AuditActor(AuditActorKinds.ApiKey, keyId, name.StartsWith("api-key:", StringComparison.Ordinal) ? name["api-key:".Length..] : name, address);
        }

        return new AuditActor(AuditActorKinds.User, user.FindFirstValue(ClaimTypes.NameIdentifier), user.Identity.Name, address);
    }
}

/// <summary>
/// Finds who is acting wherever a change is saved: in an interactive circuit (the circuit's revalidated user, through
/// <see cref="AuditCircuitHandler"/>), in an HTTP request (its principal and resolved address), or else the system
/// (a Hangfire job, the start-up seeding). A singleton: the EF interceptor has no scope of its own.
/// </summary>
public sealed class AuditActors(IHttpContextAccessor http)
{
    private static readonly AsyncLocal<CircuitSource?> Circuit = new();
    private static readonly AsyncLocal<AuditActor?> Assigned = new();

    internal sealed record CircuitSource(IServiceProvider Services, string? Address);

    internal static void EnterCircuit(IServiceProvider services, string? address) => Circuit.Value = new CircuitSource(services, address);

    /// <summary>Names the actor for the rest of this flow (a job that acts for someone, a test).</summary>
    public static void Assign(AuditActor? actor) => Assigned.Value = actor;

    public async ValueTask<AuditActor> CurrentAsync()
    {
        if (Assigned.Value is { } assigned)
        {
            return assigned;
        }

        if (Circuit.Value is { } circuit)
        {
            var user = await circuit.Services.GetRequiredService<PortalCaller>().GetUserAsync();
            return AuditActor.Of(user, circuit.Address);
        }

        if (http.HttpContext is { } context)
        {
            return AuditActor.Of(context.User, AddressOf(context));
        }

        return AuditActor.System();
    }

    /// <summary>The client's address as the app resolves it: forwarded headers rewrote it when a known proxy sent them.</summary>
    public static string? AddressOf(HttpContext? context)
    {
        var address = context?.Connection.RemoteIpAddress;
        if (address is null)
        {
            return null;
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    public static string? AddressOf(IPAddress? address) => address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}

/// <summary>
/// Every inbound activity of a circuit (a click, a form, JS calling .NET) runs with the circuit's services at hand,
/// so that a change saved anywhere below it is recorded for the circuit's user and address.
/// </summary>
internal sealed class AuditCircuitHandler(IServiceProvider services, IHttpContextAccessor http) : CircuitHandler
{
    private string? address;

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        // The hub's connection carries the browser's address (rewritten by forwarded headers when configured).
        address = AuditActors.AddressOf(http.HttpContext) ?? address;
        return Task.CompletedTask;
    }

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) => async context =>
    {
        // An async lambda: the value set here flows into the activity and is dropped when it returns.
        address ??= AuditActors.AddressOf(http.HttpContext);
        AuditActors.EnterCircuit(services, address);
        await next(context);
    };
}
