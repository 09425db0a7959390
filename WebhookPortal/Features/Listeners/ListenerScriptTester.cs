using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Scripting;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>Runs a listener's script on a sample request for the editor's Test, without storing anything.</summary>
public sealed class ListenerScriptTester(IDbContextFactory<PortalDbContext> dbFactory, ScriptSandbox scripts, PortalCaller caller)
{
    /// <summary>Runs the listener's script (or the one given, for the editor's Test) on a sample request.</summary>
    public async Task<ScriptTestResponse> TestScriptAsync(Guid id, ScriptTestRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Running code on the server is an administrator's action, whatever the page shows.
        await caller.RequireAdminAsync("test listener scripts");
        var listener = await FindAsync(db, id, ct);
        var script = string.IsNullOrWhiteSpace(request.Script) ? listener.Script : request.Script;
        if (script is null)
        {
            throw new UnprocessableException("The listener has no script to test.");
        }

        var requestJson = JsonSerializer.Serialize(new { method = request.Method ?? "POST", headers = request.Headers ?? [], query = request.Query ?? [] });
        try
        {
            var result = scripts.Run(script, request.Body?.GetRawText() ?? "null", requestJson);
            return new ScriptTestResponse(result is null ? null : JsonDocument.Parse(result).RootElement);
        }
        catch (ScriptException ex)
        {
            throw new UnprocessableException(ex.Line is { } line ? $"Line {line}: {ex.Message}" : ex.Message);
        }
    }
}
