using Hangfire;
using Hangfire.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A portal on real time with a fast retry policy, allowed to call 127.0.0.1 (the loopback receiver):
/// RetryInterval 1 s, connect and read timeouts 1 s each, 3 retries.
/// </summary>
public class DeliveryPortalFactory : PortalFactory
{
    public DeliveryPortalFactory()
    {
    }

    internal DeliveryPortalFactory(string directory, TimeSpan retryInterval)
        : base(directory)
    {
        RetryInterval = retryInterval;
    }

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override bool UseFakeClock => false;

    /// <summary>
    /// False for a test that attempts a staged delivery itself: the start-up sweep and the minutely sweep would hand
    /// the same due delivery to a lane, whose runner could win the claim and leave the test's own attempt with nothing
    /// to do (seen once in CI on PostgreSQL, where the start-up sweep ran after the test had staged its delivery).
    /// </summary>
    protected virtual bool SweepsPendingDeliveries => true;

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        builder.UseSetting("Delivery:RetryInterval", RetryInterval.ToString());
        builder.UseSetting("Delivery:ConnectTimeout", "00:00:01");
        builder.UseSetting("Delivery:ReadTimeout", "00:00:01");
        builder.UseSetting("Delivery:MaxRetries", "3");
        builder.UseSetting("Outbound:AllowedHosts:0", "127.0.0.1");
        if (!SweepsPendingDeliveries)
        {
            builder.ConfigureTestServices(s =>
            {
                foreach (var sweep in s.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DeliverySweepAtStart)).ToList())
                {
                    s.Remove(sweep);
                }

                var manager = s.Last(d => d.ServiceType == typeof(IRecurringJobManager));
                s.Replace(ServiceDescriptor.Singleton<IRecurringJobManager>(provider => new WithoutDeliverySweep(Resolve<IRecurringJobManager>(provider, manager))));
            });
        }
    }

    private static T Resolve<T>(IServiceProvider provider, ServiceDescriptor descriptor) where T : class =>
        (T)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));

    /// <summary>Registers every recurring job but the delivery sweep.</summary>
    private sealed class WithoutDeliverySweep(IRecurringJobManager inner) : IRecurringJobManager
    {
        public void AddOrUpdate(string recurringJobId, Job job, string cronExpression, RecurringJobOptions options)
        {
            if (recurringJobId != DeliveryOutbox.SweepJobId)
            {
                inner.AddOrUpdate(recurringJobId, job, cronExpression, options);
            }
        }

        public void Trigger(string recurringJobId) => inner.Trigger(recurringJobId);

        public void RemoveIfExists(string recurringJobId) => inner.RemoveIfExists(recurringJobId);
    }
}
