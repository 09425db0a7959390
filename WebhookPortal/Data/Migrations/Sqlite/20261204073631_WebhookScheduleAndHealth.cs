using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class WebhookScheduleAndHealth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DisabledBy",
                table: "Webhooks",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DisabledReason",
                table: "Webhooks",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DisabledUtc",
                table: "Webhooks",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "FailingSinceUtc",
                table: "Webhooks",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RetrySchedule",
                table: "Webhooks",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DisabledBy",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "DisabledReason",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "DisabledUtc",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "FailingSinceUtc",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "RetrySchedule",
                table: "Webhooks");
        }
    }
}
