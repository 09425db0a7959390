using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Integrations;

/// <summary>Integrations for the API and the pages alike; other features use it, never its table.</summary>
public sealed class IntegrationService(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, DeletionService deletion, PortalCaller caller, IntegrationCatalog catalog)
{
    public Task<IReadOnlyList<IntegrationView>> ListAsync(CancellationToken ct = default) => catalog.ListAsync(ct);

    public async Task<IntegrationView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return IntegrationView.From(await FindAsync(db, id, ct));
    }

    public async Task<IntegrationView?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Name == name, ct);
        return found is null ? null : IntegrationView.From(found);
    }

    public async Task<IntegrationView> CreateAsync(IntegrationRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create integrations");
        var (name, description) = Validate(input);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await EnsureNameFreeAsync(db, name, null, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var entity = new Integration { Id = Guid.NewGuid(), Name = name, Description = description, CreatedUtc = now, UpdatedUtc = now };
        db.Integrations.Add(entity);
        await SaveAsync(db, name, ct);
        catalog.Invalidate();
        return IntegrationView.From(entity);
    }

    public async Task<IntegrationView> UpdateAsync(Guid id, IntegrationRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change integrations");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindAsync(db, id, ct);
        var (name, description) = Validate(new IntegrationRequest(
            input.Name ?? entity.Name,
            input.Has("description") ? input.Description : entity.Description));
        await EnsureNameFreeAsync(db, name, id, ct);
        entity.Name = name;
        entity.Description = description;
        entity.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await SaveAsync(db, name, ct);
        catalog.Invalidate();
        return IntegrationView.From(entity);
    }

    /// <summary>Deletes the integration with everything that belongs to it, in one transaction (see <see cref="DeletionService"/>).</summary>
    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete integrations");
        await deletion.DeleteIntegrationAsync(id, ct);
        catalog.Invalidate();
    }

    /// <summary>What a delete would take with it, for the confirmation.</summary>
    public async Task<DeletionImpact> DeletionImpactAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("see what a delete removes");
        return await deletion.IntegrationImpactAsync(id, ct);
    }

    private static async Task<Integration> FindAsync(PortalDbContext db, Guid id, CancellationToken ct) =>
        await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, ct)
        ?? throw new NotFoundException($"No integration with id {id}.");

    private static (string Name, string? Description) Validate(IntegrationRequest input)
    {
        var errors = new Dictionary<string, string[]>();
        var name = input.Name?.Trim() ?? "";
        var description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        if (name.Length == 0)
        {
            errors["name"] = ["The name is required."];
        }
        else if (name.Length > Integration.NameMaxLength)
        {
            errors["name"] = [$"The name must be at most {Integration.NameMaxLength} characters."];
        }
        else if (name.Any(char.IsControl) || name.Contains('/'))
        {
            // The name is a path segment of the webhook API (/v1/mint/organizations/{org}/…).
            errors["name"] = ["The name must not contain '/' or control characters."];
        }

        if (description?.Length > Integration.DescriptionMaxLength)
        {
            errors["description"] = [$"The description must be at most {Integration.DescriptionMaxLength} characters."];
        }

        return errors.Count > 0 ? throw new PortalValidationException(errors) : (name, description);
    }

    private static async Task EnsureNameFreeAsync(PortalDbContext db, string name, Guid? exceptId, CancellationToken ct)
    {
        if (await db.Integrations.AnyAsync(i => i.Name == name && i.Id != exceptId, ct))
        {
            throw new ConflictException($"An integration named '{name}' already exists.");
        }
    }

    private static async Task SaveAsync(PortalDbContext db, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Lost a race with another request creating the same name: the unique index decided.
            throw new ConflictException($"An integration named '{name}' already exists.");
        }
    }
}
