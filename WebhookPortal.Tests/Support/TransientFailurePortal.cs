using System.Data.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// Fails the first <paramref name="times"/> statements containing <paramref name="statement"/> with a transient
/// <see cref="DbException"/>, as PostgreSQL does to the side of a deadlock it cancels.
/// </summary>
public sealed class TransientFailureInjector(string statement, int times = 1) : DbCommandInterceptor
{
    private int matched;

    /// <summary>How many statements were failed so far.</summary>
    public int Thrown => Math.Min(Volatile.Read(ref matched), times);

    private void MaybeThrow(DbCommand command)
    {
        if (command.CommandText.Contains(statement, StringComparison.Ordinal) && Interlocked.Increment(ref matched) <= times)
        {
            throw new TransientDeadlock();
        }
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        MaybeThrow(command);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        MaybeThrow(command);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    private sealed class TransientDeadlock() : DbException("deadlock detected (simulated)")
    {
        public override bool IsTransient => true;
    }
}

/// <summary>A portal whose database contexts run every command past an injector of transient failures.</summary>
public sealed class TransientFailurePortal(TransientFailureInjector injector) : PortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.ConfigureTestServices(s =>
        {
            s.ConfigureDbContext<SqlitePortalDbContext>(o => o.AddInterceptors(injector));
            s.ConfigureDbContext<PostgresPortalDbContext>(o => o.AddInterceptors(injector));
        });
    }
}
