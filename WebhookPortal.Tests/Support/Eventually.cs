namespace WebhookPortal.Tests.Support;

/// <summary>
/// Waits on a condition with a deadline instead of sleeping a fixed time: a test is as fast as the portal and fails
/// with a message that says what it was waiting for.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws a <see cref="TimeoutException"/> naming <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s for: {what}.");
            }

            await Task.Delay(25);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Polls <paramref name="read"/> until its value satisfies <paramref name="accept"/>, and returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        T value = default!;
        try
        {
            await TrueAsync(async () => accept(value = await read()), what, timeout);
        }
        catch (TimeoutException ex)
        {
            // What was seen last says where it stopped (a job still queued, or running but stuck).
            throw new TimeoutException($"{ex.Message} Last seen: {value}", ex);
        }

        return value;
    }
}
