using System.Collections.Concurrent;
using Npgsql;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Tells the other portals sharing the database that something they cache has changed (a listener's settings):
/// PostgreSQL's LISTEN/NOTIFY with several portals, nothing with SQLite (one portal per database file). A signal
/// may be lost (a portal that is reconnecting drops its whole cache instead), so every cache also expires.
/// </summary>
public interface IClusterSignals
{
    /// <summary>Sends <paramref name="payload"/> on <paramref name="topic"/> to every portal, this one included; returns at once.</summary>
    void Publish(string topic, string payload);

    /// <summary>
    /// Calls <paramref name="onSignal"/> for every payload published on <paramref name="topic"/>, and <paramref name="onReset"/>
    /// whenever signals may have been missed (the listening connection was (re)opened).
    /// </summary>
    void Subscribe(string topic, Action<string> onSignal, Action onReset);
}

/// <summary>SQLite: one portal per database file, so there is no one else to tell.</summary>
public sealed class LocalClusterSignals : IClusterSignals
{
    public void Publish(string topic, string payload)
    {
    }

    public void Subscribe(string topic, Action<string> onSignal, Action onReset)
    {
    }
}

/// <summary>PostgreSQL: one connection per portal listens on <see cref="Channel"/>; a publish is one <c>pg_notify</c>.</summary>
public sealed class PostgresClusterSignals(string connectionString, ILogger<PostgresClusterSignals> logger) : BackgroundService, IClusterSignals
{
    public const string Channel = "webhookportal_signals";

    private readonly ConcurrentDictionary<string, (Action<string> OnSignal, Action OnReset)> subscribers = new();

    public void Subscribe(string topic, Action<string> onSignal, Action onReset) => subscribers[topic] = (onSignal, onReset);

    public void Publish(string topic, string payload) => _ = PublishAsync(topic + ":" + payload);

    private async Task PublishAsync(string message)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, @message)", connection);
            command.Parameters.AddWithValue("channel", Channel);
            command.Parameters.AddWithValue("message", message);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception ex)
        {
            // The other portals' caches still expire (Listeners:CacheDuration).
            logger.LogWarning(ex, "Could not signal the other portals ({Message}); their caches will expire instead.", message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 30, Pooling = false }.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever changed while this portal was not listening is unknown: start from empty caches.
                foreach (var subscriber in subscribers.Values)
                {
                    subscriber.OnReset();
                }

                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("The cluster signal connection failed ({Reason}); reconnecting in 2 s.", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Dispatch(string message)
    {
        var colon = message.IndexOf(':');
        if (colon > 0 && subscribers.TryGetValue(message[..colon], out var subscriber))
        {
            subscriber.OnSignal(message[(colon + 1)..]);
        }
    }
}
