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
}
