using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// Records the jobs a component's services hand to Hangfire, without a Hangfire storage (component
/// tests run no background server; the engine itself is tested against the real app).
/// </summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    public ConcurrentQueue<(Job Job, IState State)> Created { get; } = new();

    public string Create(Job job, IState state)
    {
        Created.Enqueue((job, state));
        return Guid.NewGuid().ToString("N");
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;
}
