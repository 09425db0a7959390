using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Notifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "NotificationRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IntegrationId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ListenerId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Target = table.Column<long>(type: "INTEGER", nullable: false),
                    Period = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ConditionsJson = table.Column<string>(type: "TEXT", nullable: false),
                    WebhookIdsJson = table.Column<string>(type: "TEXT", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_NotificationRules", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RuleFirings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RuleId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Threshold = table.Column<decimal>(type: "TEXT", precision: 18, scale: 4, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    FiredUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RuleFirings", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RuleUsage",
                columns: table => new
                {
                    RuleId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RuleUsage", x => new { x.RuleId, x.PeriodStart });
                });

            migrationBuilder.CreateIndex(
                name: "IX_NotificationRules_IntegrationId",
                table: "NotificationRules",
                column: "IntegrationId");

            migrationBuilder.CreateIndex(
                name: "IX_RuleFirings_RuleId_PeriodStart_Threshold",
                table: "RuleFirings",
                columns: new[] { "RuleId", "PeriodStart", "Threshold" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "NotificationRules");

            migrationBuilder.DropTable(
                name: "RuleFirings");

            migrationBuilder.DropTable(
                name: "RuleUsage");
        }
    }
}
