using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ListenerScripts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SampleJson",
                table: "Listeners",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Script",
                table: "Listeners",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SampleJson",
                table: "Listeners");

            migrationBuilder.DropColumn(
                name: "Script",
                table: "Listeners");
        }
    }
}
