using System.Data.Common;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// Deleting a webhook while one of its attempts records a failure can deadlock on PostgreSQL (seen in CI as a 500): the
/// database cancels one transaction with a transient error, and the delete runs again instead of failing.
/// </summary>
public sealed class WebhookDeleteRetryTests
{
    [Fact]
    public async Task A_delete_cancelled_by_a_transient_database_error_runs_again_and_deletes()
    {
        var deadlock = new OneDeadlockOnWebhookDelete();
        await using var portal = new DeadlockPortal(deadlock);
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.invalid/h");

        var response = await portal.AsAdmin().DeleteAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}?forceDelete=true");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, deadlock.Thrown);
        Assert.False(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == webhook.Id)));
    }

    private sealed class TransientDeadlock() : DbException("deadlock detected (simulated)")
    {
        public override bool IsTransient => true;
    }

    /// <summary>Fails the first statement that deletes a webhook row, as PostgreSQL does to the side of a deadlock it cancels.</summary>
    private sealed class OneDeadlockOnWebhookDelete : DbCommandInterceptor
    {
        public int Thrown;

        private void MaybeThrow(DbCommand command)
        {
            if (command.CommandText.Contains("DELETE FROM \"Webhooks\"", StringComparison.Ordinal) && Interlocked.CompareExchange(ref Thrown, 1, 0) == 0)
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
    }

    private sealed class DeadlockPortal(OneDeadlockOnWebhookDelete deadlock) : PortalFactory
    {
        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.ConfigureTestServices(s =>
            {
                s.ConfigureDbContext<SqlitePortalDbContext>(o => o.AddInterceptors(deadlock));
                s.ConfigureDbContext<PostgresPortalDbContext>(o => o.AddInterceptors(deadlock));
            });
        }
    }
}
