using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
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
                type: "character varying(55)",
                maxLength: 55,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Summary",
                table: "Jobs",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "JobId",
                table: "Deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TraceParent",
                table: "Deliveries",
                type: "character varying(55)",
                maxLength: 55,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "TrafficRollups",
                columns: table => new
                {
                    HourUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Direction = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Count = table.Column<long>(type: "bigint", nullable: false)
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
