using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LogSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Direction_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "Direction", "State", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Direction_TimeUtc",
                table: "LogEntries",
                columns: new[] { "Direction", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_Name_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "Name", "State", "TimeUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_LogEntries_State_TimeUtc",
                table: "LogEntries",
                columns: new[] { "State", "TimeUtc" });

            // Full-text search of the log (issue 17): a contentless FTS5 table (it keeps the index, not a second copy of the
            // text; contentless_delete lets a row go by its rowid alone, so retention's deletes cost no re-tokenizing), one
            // row per log entry with rowid = Id, kept in step by triggers. Tags holds one token per filter the log page
            // offers (direction, state, name as hex) so that words within those filters are one intersection in the
            // index. Back-filled here from the entries already logged.
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE "LogSearch" USING fts5("Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags", content='', contentless_delete=1);
                """);
            migrationBuilder.Sql("""
                INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
                SELECT "Id", "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", 'd' || "Direction" || ' s' || "State" || ' n' || hex("Name")
                FROM "LogEntries";
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LogEntries_SearchInsert" AFTER INSERT ON "LogEntries" BEGIN
                    INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
                    VALUES (new."Id", new."Name", new."Path", new."EventType", new."Error", new."RequestBody", new."ResponseBody", 'd' || new."Direction" || ' s' || new."State" || ' n' || hex(new."Name"));
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LogEntries_SearchUpdate" AFTER UPDATE OF "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Direction", "State" ON "LogEntries" BEGIN
                    DELETE FROM "LogSearch" WHERE rowid = old."Id";
                    INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
                    VALUES (new."Id", new."Name", new."Path", new."EventType", new."Error", new."RequestBody", new."ResponseBody", 'd' || new."Direction" || ' s' || new."State" || ' n' || hex(new."Name"));
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LogEntries_SearchDelete" AFTER DELETE ON "LogEntries" BEGIN
                    DELETE FROM "LogSearch" WHERE rowid = old."Id";
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "LogEntries_SearchInsert";""");
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "LogEntries_SearchUpdate";""");
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "LogEntries_SearchDelete";""");
            migrationBuilder.Sql("""DROP TABLE IF EXISTS "LogSearch";""");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Direction_State_TimeUtc",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Direction_TimeUtc",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_Name_State_TimeUtc",
                table: "LogEntries");

            migrationBuilder.DropIndex(
                name: "IX_LogEntries_State_TimeUtc",
                table: "LogEntries");
        }
    }
}
