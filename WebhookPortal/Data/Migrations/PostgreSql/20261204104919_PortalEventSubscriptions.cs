using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
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
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PortalEventType",
                table: "Subscriptions",
                type: "character varying(100)",
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
