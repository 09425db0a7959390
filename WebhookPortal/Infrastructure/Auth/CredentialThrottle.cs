using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Counts failed password checks per client address and per account with the framework's partitioned
/// rate limiters. Checks of one address run one at a time, so a parallel burst cannot slip past the count.
/// Only failures count: a right password is never throttled by its own successes.
/// </summary>
public sealed class CredentialThrottle : IDisposable
{
    private static readonly TimeSpan BusyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly CredentialRateLimitOptions options;
    private readonly IMemoryCache failedPairs;
    private readonly PartitionedRateLimiter<string> inFlight;
    private readonly PartitionedRateLimiter<string> addressFailures;
    private readonly PartitionedRateLimiter<string> accountFailures;

    public CredentialThrottle(IOptions<CredentialRateLimitOptions> options, IMemoryCache cache)
    {
        this.options = options.Value;
        failedPairs = cache;
        var o = this.options;
        inFlight = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetConcurrencyLimiter(address, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = 1,
            QueueLimit = o.QueuedChecksPerAddress,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));
        addressFailures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => Window(o.FailuresPerAddress)));
        accountFailures = PartitionedRateLimiter.Create<string, string>(account => RateLimitPartition.GetFixedWindowLimiter(account, _ => Window(o.FailuresPerAccount)));
    }

    /// <summary>The partition key of a request's client (the connection's address; forwarded headers set it behind a proxy).</summary>
    public static string AddressOf(HttpContext context) => PartitionOf(context.Connection.RemoteIpAddress);

    /// <summary>
    /// One client's partition: an IPv4 address as is (also when it arrives IPv4-mapped), an IPv6 address by its /64.
    /// A single IPv6 host is usually handed a whole /64 and can pick a fresh address per request, so keying on the
    /// exact address would give every request a fresh budget.
    /// </summary>
    public static string PartitionOf(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>Waits for this address's turn; the answer says whether the password may be checked at all.</summary>
    public async ValueTask<CredentialAttempt> BeginAsync(string address, string account, CancellationToken cancellationToken)
    {
        account = account.Trim().ToUpperInvariant();
        var turn = await inFlight.AcquireAsync(address, 1, cancellationToken);
        if (!turn.IsAcquired)
        {
            turn.Dispose();
            return CredentialAttempt.Refused(RetryAfterOf(turn, BusyRetryAfter));
        }

        // Asking for zero permits answers whether the window has any left, without using one.
        using (var addressLeft = addressFailures.AttemptAcquire(address, 0))
        {
            if (!addressLeft.IsAcquired)
            {
                turn.Dispose();
                return CredentialAttempt.Refused(RetryAfterOf(addressLeft, options.Window));
            }
        }

        using (var accountLeft = accountFailures.AttemptAcquire(account, 0))
        {
            if (!accountLeft.IsAcquired && failedPairs.TryGetValue(PairKey(address, account), out _))
            {
                turn.Dispose();
                return CredentialAttempt.Refused(RetryAfterOf(accountLeft, options.Window));
            }
        }

        return new CredentialAttempt(this, turn, address, account);
    }

    internal void RecordFailure(string address, string account)
    {
        addressFailures.AttemptAcquire(address, 1).Dispose();
        accountFailures.AttemptAcquire(account, 1).Dispose();
        failedPairs.Set(PairKey(address, account), true, options.Window);
    }

    public void Dispose()
    {
        inFlight.Dispose();
        addressFailures.Dispose();
        accountFailures.Dispose();
    }

    private FixedWindowRateLimiterOptions Window(int limit) => new()
    {
        PermitLimit = limit,
        Window = options.Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static string PairKey(string address, string account) => "credential-failed:" + account + "\n" + address;

    private static TimeSpan RetryAfterOf(RateLimitLease lease, TimeSpan fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : fallback;
}

/// <summary>One password check's turn: report a failure with <see cref="Failed"/>, dispose when done.</summary>
public sealed class CredentialAttempt : IDisposable
{
    private readonly CredentialThrottle? throttle;
    private readonly RateLimitLease? turn;
    private readonly string address = "";
    private readonly string account = "";

    internal CredentialAttempt(CredentialThrottle throttle, RateLimitLease turn, string address, string account)
    {
        this.throttle = throttle;
        this.turn = turn;
        this.address = address;
        this.account = account;
        Allowed = true;
    }

    private CredentialAttempt(TimeSpan retryAfter) => RetryAfter = retryAfter;

    public bool Allowed { get; }

    /// <summary>When refused: how long the client should wait (whole seconds for the Retry-After header).</summary>
    public TimeSpan RetryAfter { get; }

    public string RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static CredentialAttempt Refused(TimeSpan retryAfter) => new(retryAfter);

    public void Failed() => throttle?.RecordFailure(address, account);

    public void Dispose() => turn?.Dispose();
}
