using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// The claim-check secret of a job's callback (<c>GET {webhook_url}?id=&lt;secret&gt;</c>). It is never stored:
/// it is derived from the job's download key (random, kept protected by Data Protection) when the callback is
/// sent, and the job keeps only its hash for the exchange. So neither the delivery row nor the log holds it.
/// </summary>
public static class JobCallbackSecret
{
    private const string Label = "WebhookPortal.JobCallbackSecret.v1:";

    /// <summary>A UUID v4-shaped secret (docs/compatibility.md#async-jobs), one-way from the download key and the job.</summary>
    public static string Derive(string downloadKey, Guid jobId)
    {
        var bytes = HMACSHA256.HashData(Encoding.UTF8.GetBytes(downloadKey), Encoding.UTF8.GetBytes(Label + jobId.ToString("N")))[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString("D");
    }

    /// <summary>
    /// The secret to send for this job, or null when the job's hash is not of a derived secret (a callback staged
    /// before secrets were derived still has its secret in the stored URL, and is sent as it is).
    /// </summary>
    public static string? ForJob(IDataProtectionProvider protection, Job job)
    {
        if (job.DownloadKeyProtected is null || job.SecretHash is null)
        {
            return null;
        }

        var secret = Derive(JobService.UnprotectDownloadKey(protection, job.DownloadKeyProtected), job.Id);
        return CryptographicOperations.FixedTimeEquals(JobService.Hash(secret), job.SecretHash) ? secret : null;
    }

    /// <summary>docs/compatibility.md#async-jobs: <c>?id=</c>, or <c>&amp;id=</c> when the URL already has a query.</summary>
    public static string AppendTo(string url, string secret) =>
        url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "id=" + Uri.EscapeDataString(secret);
}
