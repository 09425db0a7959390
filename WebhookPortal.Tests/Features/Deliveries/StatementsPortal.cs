using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>The statements with a reader (queries, RETURNING) that every context ran, and those of watched contexts apart.</summary>
public sealed class RecordedStatements : DbCommandInterceptor
{
    private readonly ConcurrentQueue<string> all = new();
    private readonly ConcurrentDictionary<DbContext, ConcurrentQueue<string>> byContext = new();

    public void Watch(DbContext context) => byContext[context] = new();

    public List<string> Of(DbContext context) => [.. byContext[context]];

    public List<string> All() => [.. all];

    public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command, CommandEventData eventData, InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
    {
        all.Enqueue(command.CommandText);
        if (eventData.Context is { } context && byContext.TryGetValue(context, out var texts))
        {
            texts.Enqueue(command.CommandText);
        }

        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

/// <summary>A delivery portal whose every context records its statements; the sweep and one runner per receiver where a test wants them.</summary>
public sealed class StatementsPortal(RecordedStatements statements, bool sweeps, int? maxConcurrencyPerTarget = null) : DeliveryPortalFactory
{
    protected override bool SweepsPendingDeliveries => sweeps;

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        if (maxConcurrencyPerTarget is { } perTarget)
        {
            builder.UseSetting("Delivery:MaxConcurrencyPerTarget", perTarget.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        builder.ConfigureTestServices(s =>
        {
            s.ConfigureDbContext<SqlitePortalDbContext>(o => o.AddInterceptors(statements));
            s.ConfigureDbContext<PostgresPortalDbContext>(o => o.AddInterceptors(statements));
        });
    }
}
