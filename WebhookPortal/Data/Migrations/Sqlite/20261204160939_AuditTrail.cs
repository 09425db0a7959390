using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditTrail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TimeUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ActorKind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    ActorId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ActorName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ResourceType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ResourceId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ResourceName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Summary = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Before = table.Column<string>(type: "TEXT", nullable: true),
                    After = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Action_TimeUtc",
                table: "AuditEntries",
                columns: new[] { "Action", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_ActorName_TimeUtc",
                table: "AuditEntries",
                columns: new[] { "ActorName", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_ResourceId_TimeUtc",
                table: "AuditEntries",
                columns: new[] { "ResourceId", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_ResourceType_TimeUtc",
                table: "AuditEntries",
                columns: new[] { "ResourceType", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_TimeUtc",
                table: "AuditEntries",
                column: "TimeUtc");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditEntries");
        }
    }
}
