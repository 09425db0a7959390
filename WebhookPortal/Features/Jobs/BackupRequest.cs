using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Jobs;

public sealed record BackupRequest(string? Webhook_url);
