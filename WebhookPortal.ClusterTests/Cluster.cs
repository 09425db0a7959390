using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace WebhookPortal.ClusterTests;

/// <summary>
/// The setup of docs/deploy.md, started by the repository's own script (deploy/cluster.sh): a throw-away
/// PostgreSQL, two portals and nginx in front. Tests reach the portals only through the balancer.
/// </summary>
public sealed class Cluster : IAsyncLifetime
{
    public const string AdminEmail = "admin@cluster.test";
    public const string AdminPassword = "Cluster-Test-Pass-1";

    private static readonly string Root = FindRoot();

    private readonly string directory = Path.Combine(Path.GetTempPath(), "webhookportal-cluster-" + Guid.NewGuid().ToString("N")[..8]);

    public int Port { get; } = FreePort();

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The figures printed at the end of test.sh and copied into bench/RESULTS.md.</summary>
    public static string FiguresPath => Path.Combine(AppContext.BaseDirectory, "TestResults", "cluster-figures.md");

    public string ConnectionString { get; private set; } = "";

    /// <summary>One client for the whole run: 16 concurrent senders share its connection pool.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async Task InitializeAsync()
    {
        await RunAsync("up");
        ConnectionString = $"Host=127.0.0.1;Port={(await File.ReadAllTextAsync(Path.Combine(directory, "pg-port"))).Trim()};Username=portal;Database=webhookportal";
        Directory.CreateDirectory(Path.GetDirectoryName(FiguresPath)!);
    }

    public async Task DisposeAsync()
    {
        try
        {
            // Kept for a failed run's diagnosis: the portals' logs beside the test results.
            foreach (var log in Directory.GetFiles(directory, "*.log"))
            {
                File.Copy(log, Path.Combine(Path.GetDirectoryName(FiguresPath)!, "cluster-" + Path.GetFileName(log)), overwrite: true);
            }
        }
        catch (IOException)
        {
        }

        await RunAsync("down");
        Http.Dispose();
    }

    public Task KillAsync(int portal) => RunAsync("kill", portal.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StopAsync(int portal) => RunAsync("stop", portal.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StartAsync(int portal) => RunAsync("start", portal.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public HttpRequestMessage Admin(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminEmail}:{AdminPassword}")));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public async Task<JsonElement> AdminJsonAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await Http.SendAsync(Admin(method, path, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        start.ArgumentList.Add(Path.Combine(Root, "deploy", "cluster.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLUSTER_DIR"] = directory;
        start.Environment["CLUSTER_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CLUSTER_ADMIN_EMAIL"] = AdminEmail;
        start.Environment["CLUSTER_ADMIN_PASSWORD"] = AdminPassword;
        // The test's receiver listens on loopback, which the outbound URL guard refuses unless allowed.
        start.Environment["Outbound__AllowedHosts__0"] = "127.0.0.1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"deploy/cluster.sh {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}\n{await error}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "cluster.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("deploy/cluster.sh not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}

/// <summary>One cluster for every test, which run one after the other (their figures must not share the CPU).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<Cluster>
{
    public const string Name = "cluster";
}
