using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>The outcome of one item: an HTTP status and the JSON answer; a failure rolls back the item's changes.</summary>
public sealed record WriteOutcome(int Status, object Body, string? Error)
{
    public bool Succeeded => Status is >= 200 and < 300;
}
