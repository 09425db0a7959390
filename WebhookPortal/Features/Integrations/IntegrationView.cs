namespace WebhookPortal.Features.Integrations;

public sealed record IntegrationView(Guid Id, string Name, string? Description, DateTime Created, DateTime Updated)
{
    public static IntegrationView From(Integration i) => new(i.Id, i.Name, i.Description, i.CreatedUtc, i.UpdatedUtc);
}
