using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class LogErrorsPartialIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Direction_State_TimeUtc",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Name_State_TimeUtc",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_State_TimeUtc",
                table: "LogEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Errors",
                table: "LogEntries",
                column: "TimeUtc",
                filter: "\"State\" = 'error'");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Errors_Direction",
                table: "LogEntries",
                columns: new[] { "Direction", "TimeUtc" },
                filter: "\"State\" = 'error'");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Errors_Name",
                table: "LogEntries",
                columns: new[] { "Name", "TimeUtc" },
                filter: "\"State\" = 'error'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Errors",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Errors_Direction",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Errors_Name",
                table: "LogEntries");

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Direction_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "Direction", "State", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Name_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "Name", "State", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "State", "TimeUtc" });
        }
    }
}
