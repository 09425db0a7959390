using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebhookPortal.Data.Migrations.PostgreSql
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

            // Full-text search of the log (issue 17): the words of each entry's name, path, event type, error and bodies
            // in a stored generated column (computed once per insert; a phrase query re-checks candidates against it
            // instead of parsing the bodies again) with a GIN index. ASCII punctuation becomes spaces first so that the
            // parser splits "order.cancelled", "order-123" or a path into words as SQLite's FTS5 does (it would keep
            // them whole as host names, signed numbers or file paths). Built-in 'simple' configuration: no extension,
            // no stemming, no stop words. Adding the column computes it for every entry already logged.
            migrationBuilder.Sql("""
                ALTER TABLE "LogEntries" ADD COLUMN "SearchVector" tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple'::regconfig, translate(
                        coalesce("Name", '') || ' ' || coalesce("Path", '') || ' ' || coalesce("EventType", '') || ' ' || coalesce("Error", '') || ' ' ||
                        coalesce("RequestBody", '') || ' ' || coalesce("ResponseBody", ''),
                        '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', repeat(' ', 32)))) STORED;
                """);
            migrationBuilder.Sql("""
                CREATE INDEX "IX_LogEntries_SearchVector" ON "LogEntries" USING gin ("SearchVector");
                """);
            // Statistics of the new column (how common each word is) now, not at autovacuum's next analyze: without them
            // the planner guesses how many entries a search matches, and with it whether to read the GIN index or not.
            migrationBuilder.Sql("""ANALYZE "LogEntries";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_LogEntries_SearchVector";""");
            migrationBuilder.Sql("""ALTER TABLE "LogEntries" DROP COLUMN IF EXISTS "SearchVector";""");

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
