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
            // row per log entry with rowid = Id. Tags holds one token per filter the log page offers (direction, state,
            // name as hex) so that words within those filters are one intersection in the index.
            // New entries are indexed in batches up to LogSearchState.IndexedUntil (LogSearchIndex), not by an insert
            // trigger: with the receiver inserting entry by entry, a trigger cost about 100 µs of CPU per entry (three times
            // the entry itself; FTS5 seems to flush its pending terms at each statement's savepoint), INSERT … SELECT of
            // the same entries about 25 µs (bench/RESULTS.md). Ids only grow (AUTOINCREMENT), so everything above the mark
            // is what is left to index. Updates and deletes of indexed entries follow by trigger. Back-filled here.
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE "LogSearch" USING fts5("Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags", content='', contentless_delete=1);
                """);
            migrationBuilder.Sql("""
                CREATE TABLE "LogSearchState" ("Id" INTEGER NOT NULL PRIMARY KEY CHECK ("Id" = 1), "IndexedUntil" INTEGER NOT NULL);
                """);
            migrationBuilder.Sql("""
                INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
                SELECT "Id", "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", 'd' || "Direction" || ' s' || "State" || ' n' || hex("Name")
                FROM "LogEntries";
                """);
            migrationBuilder.Sql("""
                INSERT INTO "LogSearchState" ("Id", "IndexedUntil") VALUES (1, coalesce((SELECT max("Id") FROM "LogEntries"), 0));
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LogEntries_SearchUpdate" AFTER UPDATE OF "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Direction", "State" ON "LogEntries"
                WHEN old."Id" <= (SELECT "IndexedUntil" FROM "LogSearchState") BEGIN
                    DELETE FROM "LogSearch" WHERE rowid = old."Id";
                    INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
                    VALUES (new."Id", new."Name", new."Path", new."EventType", new."Error", new."RequestBody", new."ResponseBody", 'd' || new."Direction" || ' s' || new."State" || ' n' || hex(new."Name"));
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "LogEntries_SearchDelete" AFTER DELETE ON "LogEntries"
                WHEN old."Id" <= (SELECT "IndexedUntil" FROM "LogSearchState") BEGIN
                    DELETE FROM "LogSearch" WHERE rowid = old."Id";
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "LogEntries_SearchUpdate";""");
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "LogEntries_SearchDelete";""");
            migrationBuilder.Sql("""DROP TABLE IF EXISTS "LogSearch";""");
            migrationBuilder.Sql("""DROP TABLE IF EXISTS "LogSearchState";""");

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
