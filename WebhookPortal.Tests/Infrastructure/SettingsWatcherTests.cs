using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

/// <summary>
/// The default settings files' reload watched the whole content root (inotify, subfolders included); started from
/// the repository root that holds <c>data/portal.db</c>, every database write woke it. The operator's settings do
/// not reload, so nothing may watch the content root.
/// </summary>
public sealed class SettingsWatcherTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public void Nothing_watches_the_content_root_for_changes()
    {
        Assert.True(OperatingSystem.IsLinux(), "this check reads the process's inotify watches from /proc");
        var root = portal.Services.GetRequiredService<IWebHostEnvironment>().ContentRootPath;
        var inode = InodeOf(root);

        var watched = WatchedInodes();

        Assert.DoesNotContain(inode, watched);
    }

    [Fact]
    public void The_host_arguments_turn_the_default_reload_off_but_keep_an_explicit_choice()
    {
        var args = WebhookPortal.Infrastructure.Configuration.OperatorConfiguration.HostArguments(["--migrate"]);
        Assert.Equal(["--migrate", "--hostBuilder:reloadConfigOnChange=false"], args);

        string[] chosen = ["--hostBuilder:reloadConfigOnChange=true"];
        Assert.Equal(chosen, WebhookPortal.Infrastructure.Configuration.OperatorConfiguration.HostArguments(chosen));
    }

    private static long InodeOf(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The inodes watched by every inotify instance of this process ("inotify wd:1 ino:1a2b ...").</summary>
    private static HashSet<long> WatchedInodes()
    {
        var inodes = new HashSet<long>();
        foreach (var info in Directory.EnumerateFiles("/proc/self/fdinfo"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(info);
            }
            catch (IOException)
            {
                continue; // the descriptor closed while we looked
            }

            foreach (var line in lines.Where(l => l.StartsWith("inotify ", StringComparison.Ordinal)))
            {
                var field = line.Split(' ').First(f => f.StartsWith("ino:", StringComparison.Ordinal));
                inodes.Add(Convert.ToInt64(field["ino:".Length..], 16));
            }
        }

        return inodes;
    }
}
