using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners;

/// <summary>An inbound URL (<c>/hooks/{integrationId}/{listenerId}</c>) that stores pushed records in generated tables.</summary>
public sealed class Listener
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Integration? Integration { get; set; }

    public required string Name { get; set; }

    public bool Enabled { get; set; } = true;

    public ListenerAuthMethod AuthMethod { get; set; }

    public TokenLocation TokenLocation { get; set; } = TokenLocation.Header;

    /// <summary>Header or query parameter name holding the token.</summary>
    public string? TokenName { get; set; }

    /// <summary>Scheme before the token in the Authorization header (e.g. <c>Bearer</c>).</summary>
    public string? TokenPrefix { get; set; }

    /// <summary>SHA-256 of the token; the token itself is shown once and never stored.</summary>
    public byte[]? TokenHash { get; set; }

    /// <summary>The token before the last rotation, still accepted until <see cref="PreviousTokenExpiresUtc"/>.</summary>
    public byte[]? PreviousTokenHash { get; set; }

    public DateTime? PreviousTokenExpiresUtc { get; set; }

    /// <summary>Signature methods: the signing secret, protected with Data Protection (it must be read to verify).</summary>
    public string? SigningSecretProtected { get; set; }

    /// <summary>The signing secret before the last rotation, still accepted until <see cref="PreviousSigningSecretExpiresUtc"/>.</summary>
    public string? PreviousSigningSecretProtected { get; set; }

    public DateTime? PreviousSigningSecretExpiresUtc { get; set; }

    /// <summary><see cref="ListenerAuthMethod.Hmac"/>: the hash (the presets fix their own).</summary>
    public SignatureAlgorithm? SignatureAlgorithm { get; set; }

    /// <summary><see cref="ListenerAuthMethod.Hmac"/>: how the signature is written in the header.</summary>
    public SignatureEncoding? SignatureEncoding { get; set; }

    /// <summary>Timestamped signatures: how far a request's timestamp may be from now (replay protection).</summary>
    public int? SignatureToleranceSeconds { get; set; }

    /// <summary>The header carrying the sender's delivery id; a repeat within the window is answered without applying it again.</summary>
    public string? IdempotencyHeader { get; set; }

    public int? IdempotencyWindowSeconds { get; set; }

    public ListenerHandshake Handshake { get; set; }

    /// <summary><see cref="ListenerHandshake.HubChallenge"/>: SHA-256 of the verify token the sender must present.</summary>
    public byte[]? HandshakeVerifyTokenHash { get; set; }

    public int? RetentionDays { get; set; }

    public string? SchemaJson { get; set; }

    /// <summary>The JSON sample the tables were generated from (perform-list falls back to it).</summary>
    public string? SampleJson { get; set; }

    /// <summary>Optional JavaScript <c>(body, request) =&gt; body</c> run before storing; throwing rejects the request.</summary>
    public string? Script { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    private static readonly JsonSerializerOptions SchemaJsonOptions = new(JsonSerializerDefaults.Web);

    public TableSchema? GetSchema() => SchemaJson is null ? null : JsonSerializer.Deserialize<TableSchema>(SchemaJson, SchemaJsonOptions);

    public void SetSchema(TableSchema? schema) => SchemaJson = schema is null ? null : JsonSerializer.Serialize(schema, SchemaJsonOptions);
}

internal sealed class ListenerConfiguration : IEntityTypeConfiguration<Listener>
{
    public void Configure(EntityTypeBuilder<Listener> builder)
    {
        builder.ToTable("Listeners");
        builder.Property(l => l.Name).HasMaxLength(Listener.NameMaxLength);
        builder.Property(l => l.AuthMethod).HasConversion<string>().HasMaxLength(16);
        builder.Property(l => l.TokenLocation).HasConversion<string>().HasMaxLength(16);
        builder.Property(l => l.TokenName).HasMaxLength(100);
        builder.Property(l => l.TokenPrefix).HasMaxLength(50);
        builder.Property(l => l.SignatureAlgorithm).HasConversion<string>().HasMaxLength(16);
        builder.Property(l => l.SignatureEncoding).HasConversion<string>().HasMaxLength(16);
        builder.Property(l => l.IdempotencyHeader).HasMaxLength(100);
        builder.Property(l => l.Handshake).HasConversion<string>().HasMaxLength(32);
        builder.HasIndex(l => new { l.IntegrationId, l.Name }).IsUnique();
        builder.HasOne(l => l.Integration).WithMany().HasForeignKey(l => l.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
