#!/usr/bin/env python3
"""Issue 17: what an FTS5 index entry costs by how many entries each transaction adds (one segment per transaction).

Adds 40,000 log-entry-like rows (the ~1 KB JSON body of bench/ingest.lua, a small response body, the tags) to a
contentless FTS5 table shaped like the portal's LogSearch, committing every N rows (WAL, synchronous=FULL, as the
portal), and prints microseconds per row for each N. Python's own SQLite (3.40 here) lacks contentless_delete (3.43),
so the table is content='' only. Usage: python3 bench/fts_segments.py [rows]
"""
import os, sqlite3, sys, tempfile, time

FILLER = "lorem ipsum dolor sit amet " * 10
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000


def body(c):
    return ('{"id":%d,"name":"Customer %d, %s","amount":%d.50,"active":true,"comments":[{"text":"first comment on record %d: %s"},'
            '{"text":"second comment on record %d: %s"}]}') % (c, c, FILLER, c % 1000, c, FILLER, c, FILLER)


def run(batch, directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "fts-%d.db" % batch)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE VIRTUAL TABLE s USING fts5(Name, Path, EventType, Error, RequestBody, ResponseBody, Tags, content='')")
    started = time.perf_counter()
    row = 0
    while row < ROWS:
        db.execute("BEGIN IMMEDIATE")
        for _ in range(min(batch, ROWS - row)):
            row += 1
            db.execute("INSERT INTO s (rowid, Name, Path, EventType, Error, RequestBody, ResponseBody, Tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (row, "orders", "/hooks/abc/orders", None, None, body(row), '{"status":"created","id":%d}' % row, "dInbound sSuccess n6F7264657273"))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed / ROWS * 1e6


with tempfile.TemporaryDirectory() as directory:
    print("sqlite %s, %d rows, load %s" % (sqlite3.sqlite_version, ROWS, " ".join(open("/proc/loadavg").read().split()[:3])))
    print("| rows per transaction | µs per row (run 1) | µs per row (run 2) |")
    print("| --- | --- | --- |")
    for batch in (32, 256, 1024, 4000):
        first = run(batch, directory + "/a")
        second = run(batch, directory + "/b")
        print("| %d | %.1f | %.1f |" % (batch, first, second), flush=True)
