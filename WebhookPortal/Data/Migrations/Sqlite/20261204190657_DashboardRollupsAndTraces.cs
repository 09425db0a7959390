using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DashboardRollupsAndTraces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TraceParent",
                table: "PendingEvents",
                type: "TEXT",
                maxLength: 55,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Summary",
                table: "Jobs",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "JobId",
                table: "Deliveries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TraceParent",
                table: "Deliveries",
                type: "TEXT",
                maxLength: 55,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "TrafficRollups",
                columns: table => new
                {
                    HourUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Direction = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrafficRollups", x => new { x.HourUtc, x.Direction, x.Name, x.State });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Deliveries_CreatedUtc_TargetKind_TargetId_State_AttemptCount",
                table: "Deliveries",
                columns: new[] { "CreatedUtc", "TargetKind", "TargetId", "State", "AttemptCount" });

            migrationBuilder.CreateIndex(
                name: "IX_Deliveries_JobId",
                table: "Deliveries",
                column: "JobId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TrafficRollups");

            migrationBuilder.DropIndex(
                name: "IX_Deliveries_CreatedUtc_TargetKind_TargetId_State_AttemptCount",
                table: "Deliveries");

            migrationBuilder.DropIndex(
                name: "IX_Deliveries_JobId",
                table: "Deliveries");

            migrationBuilder.DropColumn(
                name: "TraceParent",
                table: "PendingEvents");

            migrationBuilder.DropColumn(
                name: "Summary",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Deliveries");

            migrationBuilder.DropColumn(
                name: "TraceParent",
                table: "Deliveries");
        }
    }
}
