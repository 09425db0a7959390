using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace WebhookPortal.Infrastructure.Configuration;

/// <summary>
/// The operator's <c>appsettings.json</c> lives at the repository root, not in the project folder.
/// This finds it whether the portal starts from the root, from <c>WebhookPortal/</c>, through
/// <c>dotnet run</c> or from the built dll, and puts it where ASP.NET Core's default
/// <c>appsettings.json</c> would be, so environment variables and the command line still override it.
/// </summary>
public static class OperatorConfiguration
{
    private const string SolutionFile = "WebhookPortal.sln";
    private const string SettingsFile = "appsettings.json";

    /// <summary>The folder holding the operator's settings; relative data paths are resolved against it.</summary>
    public static string FindDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)) && File.Exists(Path.Combine(dir.FullName, SettingsFile)))
                {
                    return dir.FullName;
                }
            }
        }

        // Deployed without the source tree: the copy shipped next to the dll, or the working folder.
        return File.Exists(Path.Combine(Directory.GetCurrentDirectory(), SettingsFile))
            ? Directory.GetCurrentDirectory()
            : AppContext.BaseDirectory;
    }

    /// <summary>The host's own setting that turns the default settings files' reload off.</summary>
    public const string ReloadConfigOnChange = "hostBuilder:reloadConfigOnChange";

    /// <summary>
    /// The command line for <see cref="WebApplication.CreateBuilder(string[])"/>: the caller's arguments with the
    /// default settings files' reload turned off (unless the caller set it). Those files are replaced by the
    /// operator's, which do not reload; but loading them once with reload on already starts a watcher over the whole
    /// content root, subfolders included. Started from the repository root, that holds <c>data/portal.db</c>, so
    /// every write to the database and its log woke that watcher (inotify) and cost the writer a notification:
    /// 2-10 % of the portal's CPU under ingest.
    /// </summary>
    public static string[] HostArguments(string[] args) =>
        args.Any(a => a.Contains(ReloadConfigOnChange, StringComparison.OrdinalIgnoreCase))
            ? args
            : [.. args, $"--{ReloadConfigOnChange}=false"];

    public static string UseOperatorConfiguration(this WebApplicationBuilder builder)
    {
        var directory = FindDirectory();
        var sources = builder.Configuration.Sources;
        var environmentFile = $"appsettings.{builder.Environment.EnvironmentName}.json";

        var index = -1;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is JsonConfigurationSource json && (json.Path == SettingsFile || json.Path == environmentFile))
            {
                sources.RemoveAt(i);
                index = i;
            }
        }

        if (index < 0)
        {
            index = 0;
        }

        var provider = new PhysicalFileProvider(directory);
        sources.Insert(index, new JsonConfigurationSource { FileProvider = provider, Path = SettingsFile, Optional = true });
        sources.Insert(index + 1, new JsonConfigurationSource { FileProvider = provider, Path = environmentFile, Optional = true });
        return directory;
    }
}

/// <summary>The folder of the operator's settings; relative paths in settings are resolved against it.</summary>
public sealed record OperatorDirectory(string Path)
{
    public string Resolve(string path) => System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, path));
}
