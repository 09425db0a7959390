namespace WebhookPortal.Components.Shared;

/// <summary>
/// The code editors' edits still on their way to the component (one per circuit).
/// Monaco tells the server that its text changed, and the server then has to ask for the text:
/// a Save clicked in between would otherwise run with the text before the last edit.
/// Handlers that read an editor's value await <see cref="SettledAsync"/> first.
/// </summary>
public sealed class CodeEditorEdits
{
    private readonly Lock gate = new();
    private readonly HashSet<Task> pending = [];
    private int looks;

    /// <summary>How many times <see cref="SettledAsync"/> has looked at the edits on their way: tests wait on it instead of sleeping.</summary>
    internal int Looks => Volatile.Read(ref looks);

    public void Track(Task edit)
    {
        lock (gate)
        {
            pending.Add(edit);
        }

        _ = edit.ContinueWith(done =>
        {
            lock (gate)
            {
                pending.Remove(done);
            }
        }, TaskScheduler.Default);
    }

    /// <summary>Completes when every edit tracked so far (and any tracked meanwhile) has reached its component.</summary>
    public async Task SettledAsync()
    {
        while (true)
        {
            Task[] waiting;
            lock (gate)
            {
                waiting = pending.Where(t => !t.IsCompleted).ToArray();
            }

            Interlocked.Increment(ref looks);

            if (waiting.Length == 0)
            {
                return;
            }

            try
            {
                await Task.WhenAll(waiting);
            }
            catch
            {
                // A failed edit (the circuit lost the editor) leaves the value as it was: nothing more to wait for.
            }
        }
    }
}
