using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class WebhookProbe : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ProbeAfterUtc",
                table: "Webhooks",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ProbeAfterUtc",
                table: "Webhooks");
        }
    }
}
