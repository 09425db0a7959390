using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PortalEventSubscriptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "IntegrationId",
                table: "Subscriptions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PortalEventType",
                table: "Subscriptions",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Subscriptions_IntegrationId_PortalEventType",
                table: "Subscriptions",
                columns: new[] { "IntegrationId", "PortalEventType" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Subscriptions_IntegrationId_PortalEventType",
                table: "Subscriptions");

            migrationBuilder.DropColumn(
                name: "IntegrationId",
                table: "Subscriptions");

            migrationBuilder.DropColumn(
                name: "PortalEventType",
                table: "Subscriptions");
        }
    }
}
