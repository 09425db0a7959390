using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LogDeliveryIdPartialIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LogEntries_DeliveryId",
                table: "LogEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_DeliveryId",
                table: "LogEntries",
                column: "DeliveryId",
                filter: "\"DeliveryId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LogEntries_DeliveryId",
                table: "LogEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_DeliveryId",
                table: "LogEntries",
                column: "DeliveryId");
        }
    }
}
