using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Integrations;

/// <summary>An integration as sent. On update an omitted (or null) name keeps its value; <c>description</c> sent as null clears it.</summary>
public sealed record IntegrationInput(string? Name, string? Description) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}

public sealed record IntegrationView(Guid Id, string Name, string? Description, DateTime Created, DateTime Updated)
{
    public static IntegrationView From(Integration i) => new(i.Id, i.Name, i.Description, i.CreatedUtc, i.UpdatedUtc);
}

/// <summary>Integrations for the API and the pages alike; other features use it, never its table.</summary>
public sealed class IntegrationService(PortalDbContext db, TimeProvider time, DeletionService deletion, PortalCaller caller)
{
    public async Task<IReadOnlyList<IntegrationView>> ListAsync(CancellationToken ct = default) =>
        (await db.Integrations.AsNoTracking().OrderBy(i => i.Name).ToListAsync(ct)).Select(IntegrationView.From).ToList();

    public async Task<IntegrationView> GetAsync(Guid id, CancellationToken ct = default) =>
        IntegrationView.From(await FindAsync(id, ct));

    public async Task<IntegrationView?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        var found = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Name == name, ct);
        return found is null ? null : IntegrationView.From(found);
    }

    public async Task<IntegrationView> CreateAsync(IntegrationInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create integrations");
        var (name, description) = Validate(input);
        await EnsureNameFreeAsync(name, null, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var entity = new Integration { Id = Guid.NewGuid(), Name = name, Description = description, CreatedUtc = now, UpdatedUtc = now };
        db.Integrations.Add(entity);
        await SaveAsync(name, ct);
        return IntegrationView.From(entity);
    }

    public async Task<IntegrationView> UpdateAsync(Guid id, IntegrationInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change integrations");
        var entity = await FindAsync(id, ct);
        var (name, description) = Validate(new IntegrationInput(
            input.Name ?? entity.Name,
            input.Has("description") ? input.Description : entity.Description));
        await EnsureNameFreeAsync(name, id, ct);
        entity.Name = name;
        entity.Description = description;
        entity.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await SaveAsync(name, ct);
        return IntegrationView.From(entity);
    }

    /// <summary>Deletes the integration with everything that belongs to it, in one transaction (see <see cref="DeletionService"/>).</summary>
    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete integrations");
        await deletion.DeleteIntegrationAsync(id, ct);
    }

    /// <summary>What a delete would take with it, for the confirmation.</summary>
    public async Task<DeletionImpact> DeletionImpactAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("see what a delete removes");
        return await deletion.IntegrationImpactAsync(id, ct);
    }

    private async Task<Integration> FindAsync(Guid id, CancellationToken ct) =>
        await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, ct)
        ?? throw new NotFoundException($"No integration with id {id}.");

    private static (string Name, string? Description) Validate(IntegrationInput input)
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

    private async Task EnsureNameFreeAsync(string name, Guid? exceptId, CancellationToken ct)
    {
        if (await db.Integrations.AnyAsync(i => i.Name == name && i.Id != exceptId, ct))
        {
            throw new ConflictException($"An integration named '{name}' already exists.");
        }
    }

    private async Task SaveAsync(string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);

            // Pages keep one context per circuit: never let a tracked row go stale.
            db.ChangeTracker.Clear();
        }
        catch (DbUpdateException)
        {
            // Lost a race with another request creating the same name: the unique index decided.
            db.ChangeTracker.Clear();
            throw new ConflictException($"An integration named '{name}' already exists.");
        }
    }
}
