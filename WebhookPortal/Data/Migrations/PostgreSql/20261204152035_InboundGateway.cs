using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class InboundGateway : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Duplicate",
                table: "LogEntries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Note",
                table: "LogEntries",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReplayOfId",
                table: "LogEntries",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Handshake",
                table: "Listeners",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<byte[]>(
                name: "HandshakeVerifyTokenHash",
                table: "Listeners",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdempotencyHeader",
                table: "Listeners",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "IdempotencyWindowSeconds",
                table: "Listeners",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PreviousSigningSecretExpiresUtc",
                table: "Listeners",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PreviousSigningSecretProtected",
                table: "Listeners",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SignatureAlgorithm",
                table: "Listeners",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SignatureEncoding",
                table: "Listeners",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SignatureToleranceSeconds",
                table: "Listeners",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SigningSecretProtected",
                table: "Listeners",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BulkReplays",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ListenerId = table.Column<Guid>(type: "uuid", nullable: false),
                    FromUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ToUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Total = table.Column<int>(type: "integer", nullable: false),
                    Processed = table.Column<int>(type: "integer", nullable: false),
                    Succeeded = table.Column<int>(type: "integer", nullable: false),
                    Failed = table.Column<int>(type: "integer", nullable: false),
                    LastEntryId = table.Column<long>(type: "bigint", nullable: false),
                    MaxEntryId = table.Column<long>(type: "bigint", nullable: false),
                    RequestedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BulkReplays", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotencyKeys",
                columns: table => new
                {
                    KeyHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    ExpiresAtMs = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotencyKeys", x => x.KeyHash);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BulkReplays_ListenerId_CreatedUtc",
                table: "BulkReplays",
                columns: new[] { "ListenerId", "CreatedUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_BulkReplays_Status",
                table: "BulkReplays",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ExpiresAtMs",
                table: "IdempotencyKeys",
                column: "ExpiresAtMs");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BulkReplays");

            migrationBuilder.DropTable(
                name: "IdempotencyKeys");

            migrationBuilder.DropColumn(
                name: "Duplicate",
                table: "LogEntries");

            migrationBuilder.DropColumn(
                name: "Note",
                table: "LogEntries");

            migrationBuilder.DropColumn(
                name: "ReplayOfId",
                table: "LogEntries");

            migrationBuilder.DropColumn(
                name: "Handshake",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "HandshakeVerifyTokenHash",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "IdempotencyHeader",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "IdempotencyWindowSeconds",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "PreviousSigningSecretExpiresUtc",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "PreviousSigningSecretProtected",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "SignatureAlgorithm",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "SignatureEncoding",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "SignatureToleranceSeconds",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "SigningSecretProtected",
                table: "Listeners");
        }
    }
}
