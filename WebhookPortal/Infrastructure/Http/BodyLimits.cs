using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Http;

/// <summary>How much body an endpoint takes: Small for credentials and settings, Large for samples, scripts and payloads.</summary>
public enum BodySize
{
    Small,
    Large,
}

public sealed class RequestBodyOptions
{
    public const string Section = "RequestBodies";

    /// <summary>Endpoints whose body is a few fields (authenticate, API keys, integrations, users, subscriptions, toggles).</summary>
    [Range(512, 1024 * 1024)]
    public int SmallBytes { get; set; } = 8 * 1024;

    /// <summary>Endpoints that take samples, scripts or payloads (Generate Tables, script tests, event types, publishing).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int LargeBytes { get; set; } = 1024 * 1024;
}

/// <summary>Endpoint metadata: the body limit class, resolved against <see cref="RequestBodyOptions"/> per request.</summary>
public sealed record BodyLimitMetadata(BodySize Size);

/// <summary>
/// Per-endpoint body limits, answered with a 413 problem before the body is read. Kestrel enforces the same
/// limit through <see cref="IHttpMaxRequestBodySizeFeature"/>; the stream wrapper covers chunked bodies and
/// hosts without that feature (the test server).
/// </summary>
public static class BodyLimits
{
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, BodySize size)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new BodyLimitMetadata(size));

    public static IServiceCollection AddBodyLimits(this IServiceCollection services)
    {
        services.AddOptions<RequestBodyOptions>().BindConfiguration(RequestBodyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<BodyLimitMetadata>() is not { } metadata)
        {
            await next(context);
            return;
        }

        var options = context.RequestServices.GetRequiredService<IOptions<RequestBodyOptions>>().Value;
        long limit = metadata.Size == BodySize.Small ? options.SmallBytes : options.LargeBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "The body is too large.",
                    Detail = $"This endpoint takes at most {limit.ToString(CultureInfo.InvariantCulture)} bytes.",
                },
            });
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
        await next(context);
    });

    /// <summary>Reads through until the limit, then fails the read with a 413 (turned into problem details by the exception handler).</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            read += n;
            return read > limit
                ? throw new BadHttpRequestException($"This endpoint takes at most {limit.ToString(CultureInfo.InvariantCulture)} bytes.", StatusCodes.Status413PayloadTooLarge)
                : n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
