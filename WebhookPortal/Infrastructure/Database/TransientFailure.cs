using System.Data.Common;

namespace WebhookPortal.Infrastructure.Database;

public static class TransientFailure
{
    /// <summary>
    /// Whether a database error is worth running the whole transaction again (PostgreSQL's deadlock, 40P01, is one).
    /// EF Core wraps such a provider error in an InvalidOperationException, so the inner exceptions are searched too.
    /// </summary>
    public static bool IsTransient(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs <paramref name="transaction"/> (a whole unit of work on its own context) again when the database cancels it
    /// with a transient error, up to <paramref name="attempts"/> times in all, after a short random pause. On PostgreSQL
    /// a delete that cancels deliveries and an attempt recording a failure lock the same rows in opposite orders; the
    /// database breaks the deadlock by cancelling one side, and nothing of the cancelled transaction stays.
    /// </summary>
    public static async Task RetryAsync(Func<Task> transaction, CancellationToken ct, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await transaction();
                return;
            }
            catch (Exception ex) when (attempt < attempts && IsTransient(ex) && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50) * attempt), ct);
            }
        }
    }
}
