using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Note",
                table: "LogEntries",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReplayOfId",
                table: "LogEntries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Handshake",
                table: "Listeners",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<byte[]>(
                name: "HandshakeVerifyTokenHash",
                table: "Listeners",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdempotencyHeader",
                table: "Listeners",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "IdempotencyWindowSeconds",
                table: "Listeners",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PreviousSigningSecretExpiresUtc",
                table: "Listeners",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PreviousSigningSecretProtected",
                table: "Listeners",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SignatureAlgorithm",
                table: "Listeners",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SignatureEncoding",
                table: "Listeners",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SignatureToleranceSeconds",
                table: "Listeners",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SigningSecretProtected",
                table: "Listeners",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BulkReplays",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ListenerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FromUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ToUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Total = table.Column<int>(type: "INTEGER", nullable: false),
                    Processed = table.Column<int>(type: "INTEGER", nullable: false),
                    Succeeded = table.Column<int>(type: "INTEGER", nullable: false),
                    Failed = table.Column<int>(type: "INTEGER", nullable: false),
                    LastEntryId = table.Column<long>(type: "INTEGER", nullable: false),
                    MaxEntryId = table.Column<long>(type: "INTEGER", nullable: false),
                    RequestedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FinishedUtc = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BulkReplays", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotencyKeys",
                columns: table => new
                {
                    KeyHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    ExpiresAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false)
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
