#!/usr/bin/env bash
# Issue 17, memory: does the portal's RSS stay flat over a 1,000,000-request ingest and a 100,000-message drain?
# One portal (Release, SQLite in a throw-away directory), two phases, its RSS (VmRSS of /proc/PID/status) and GC heap
# (dotnet-counters, when installed: the GC's committed memory) sampled every 5 s into a CSV:
#   ingest: a listener with tables as in bench/receiver.sh; wrk -t2 -c64 POSTs ~1 KB JSON bodies (each with its own id,
#           so every request adds a record, its 2 child rows and a log entry) — a warm-up of WARMUP requests, then
#           REQUESTS more; wrk's Lua stops each thread after its share, so the count is exact (± the last in flight),
#           and the script interrupts wrk then (wrk itself would sleep out its -d duration after its threads stop).
#   drain:  a webhook to a local receiver (bench/PublishBench, bare Kestrel, counts distinct webhook-ids); wrk -t2 -c8 publishes MESSAGES ~1 KB messages
#           through POST /api/integrations/{id}/messages while the portal delivers them; the phase ends when the
#           receiver has them all or after MAX_SECONDS (publishing is stopped then too).
# Also samples the size of the SQLite database file and its write-ahead log (wal_mib, db_mib): neither may grow without end.
# Prints the RSS after the warm-up, at 25/50/75/100 % of the requests, the max and the growth; for the drain the
# deliveries done, their rate, RSS at start/middle/end and the growth. The CSV and the logs stay in OUT_DIR.
# Usage: [MAX_SECONDS=1800] [WARMUP=20000] [OUT_DIR=dir] bench/memory.sh [requests] [messages]
#        (defaults 1000000 100000)    Needs: wrk (apt-get install -y wrk), python3; optional: dotnet-counters
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${1:-1000000}"
MESSAGES="${2:-100000}"
MAX_SECONDS="${MAX_SECONDS:-1800}"
WARMUP="${WARMUP:-20000}"
INTERVAL=5
WORK="$(mktemp -d)"
OUT="${OUT_DIR:-$(mktemp -d /tmp/memory-bench.XXXXXX)}"
mkdir -p "$OUT"
CSV="$OUT/memory.csv"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
RECEIVER_PORT=$(free_port)
COUNTERS="${DOTNET_COUNTERS:-$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")}"

dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
Outbound__AllowedHosts__0=127.0.0.1 \
  dotnet WebhookPortal/bin/Release/net10.0/WebhookPortal.dll >"$OUT/portal.log" 2>&1 &
PORTAL=$!
PIDS+=("$PORTAL")
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

api() { curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
INTEGRATION=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/integrations" | json '["id"]')
LISTENER=$(api -d '{"name":"orders","auth":{"method":"Token","readFrom":"Header","name":"X-Webhook-Token"}}' "http://127.0.0.1:$PORT/api/integrations/$INTEGRATION/listeners" | json '["id"]')
TOKEN=$(api -X POST "http://127.0.0.1:$PORT/api/listeners/$LISTENER/token" | json '["token"]')
api -d '{"sample":{"id":1,"name":"x","amount":1.5,"active":true,"comments":[{"text":"a"}]},"baseName":"orders","primaryKey":["id"]}' \
  "http://127.0.0.1:$PORT/api/listeners/$LISTENER/tables" >/dev/null
KEY=$(api -d '{"name":"memory bench","role":"Admin"}' "http://127.0.0.1:$PORT/api/api-keys" | json '["key"]')

# wrk's Lua: each thread sends its share (args: per-thread limit, first id, progress file prefix), writes how many
# answers it has had to <prefix>.<thread> every 1,000, and stops at its limit. The bodies are ~1 KB.
cat >"$WORK/post.lua" <<'EOF'
local next_thread = 1
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end
function init(args)
  limit = tonumber(args[1]); base = tonumber(args[2]); progress = args[3] .. "." .. tid; kind = args[4]
  sent = 0; answered = 0; failed = 0
  pad = string.rep("lorem ipsum ", 37)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  sent = sent + 1
  local id = base + tid * 100000000 + sent
  local body
  if kind == "publish" then
    body = string.format('{"eventType":"bench.memory","payload":{"id":%d,"name":"order %d","amount":%d.5,"notes":["%s","%s"]}}', id, sent, sent % 1000, pad, pad)
  else
    body = string.format('{"id":%d,"name":"bench %d","amount":%d.5,"active":true,"comments":[{"text":"first %s"},{"text":"second %s"}]}', id, sent, sent % 1000, pad, pad)
  end
  return wrk.format(nil, nil, nil, body)
end
local function write_progress()
  local f = io.open(progress, "w")
  if f then f:write(answered, " ", failed, "\n"); f:close() end
end
function response(status, headers, body)
  answered = answered + 1
  if status >= 300 then failed = failed + 1 end
  if answered % 1000 == 0 or answered >= limit then write_progress() end
  if answered >= limit then wrk.thread:stop() end
end
EOF
sum_progress() { cat "$1".* 2>/dev/null | awk '{a += $1; f += $2} END {print a + 0, f + 0}'; }
# Runs wrk (in the background) until the answers counted under <prefix> reach <target>, then interrupts it (SIGINT:
# wrk prints its summary and exits). Usage: wrk_until <prefix> <target> <output file> <wrk args...>
wrk_until() {
  local prefix="$1" target="$2" output="$3"; shift 3
  wrk "$@" >"$output" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(sum_progress "$prefix" | cut -d' ' -f1)" -ge "$target" ] && { kill -INT "$pid" 2>/dev/null || true; break; }
    sleep 1
  done
  wait "$pid" 2>/dev/null || true
}

# The receiver of the drain: bench/PublishBench (bare Kestrel; POST /hook counts, GET /count answers). A Python
# http.server was used before: it answered in ~45 ms a request (a reply written in two pieces, consistent with Nagle's algorithm meeting delayed ACKs),
# so the drain measured the receiver (~90/s), not the portal. A poller writes the count to a file every second.
dotnet build bench/PublishBench/PublishBench.csproj -c Release -v q >/dev/null

# The GC's committed memory (the System.Runtime meter's dotnet.gc.last_collection.memory.committed_size, .NET 9 and
# later), every 5 s, if dotnet-counters is there. The EventCounters name used before (gc-heap-size) gave nothing with
# dotnet-counters 10: the column stayed empty.
if [ -x "$COUNTERS" ]; then
  "$COUNTERS" collect -p "$PORTAL" --refresh-interval "$INTERVAL" --counters System.Runtime \
    --format csv -o "$OUT/counters.csv" >"$OUT/counters.log" 2>&1 &
  PIDS+=("$!")
fi
gc_heap_mib() {
  [ -f "$OUT/counters.csv" ] || return 0
  tail -n 60 "$OUT/counters.csv" | awk -F, '/memory.committed_size/ {v = $NF} END {if (v != "") printf "%.1f", v / 1048576}'
}

file_mib() { [ -f "$1" ] && echo "scale=1; $(stat -c %s "$1") / 1048576" | bc || echo 0; }
# The largest write-ahead log sampled in a phase (prefix match), and the database file's last size there.
files_in() { awk -F, -v p="$1" 'NR > 1 && index($4, p) == 1 {if ($11 + 0 > w) w = $11 + 0; d = $12} END {printf "write-ahead log at most %s MiB, database file %s MiB", w, d}' "$CSV"; }
# The sampler: one CSV row every 5 s for the whole run.
echo "init" >"$WORK/phase"
echo "epoch,utc,elapsed_s,phase,requests_answered,requests_failed,messages_published,deliveries_received,rss_mib,gc_heap_mib,wal_mib,db_mib" >"$CSV"
(
  start=$(date +%s)
  while kill -0 "$PORTAL" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PORTAL/status" 2>/dev/null || true)
    read -r answered failed < <(sum_progress "$WORK/ingest")
    read -r published _ < <(sum_progress "$WORK/publish")
    received=$(cat "$WORK/received" 2>/dev/null || echo 0)
    now=$(date +%s)
    echo "$now,$(date -u -d "@$now" +%H:%M:%S),$((now - start)),$(cat "$WORK/phase"),$answered,$failed,$published,$received,$rss,$(gc_heap_mib),$(file_mib "$WORK/portal.db-wal"),$(file_mib "$WORK/portal.db")" >>"$CSV"
    sleep "$INTERVAL"
  done
) &
SAMPLER=$!
PIDS+=("$SAMPLER")
rss_now() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PORTAL/status"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git rev-parse --short HEAD); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "portal pid $PORTAL, port $PORT; RSS after start: $(rss_now) MiB; samples: $CSV"

# --- Ingest ---------------------------------------------------------------------------------------------------
HOOK="http://127.0.0.1:$PORT/hooks/$INTEGRATION/$LISTENER"
echo "warmup" >"$WORK/phase"
wrk_until "$WORK/warmup" $((WARMUP / 2 * 2)) "$OUT/wrk-warmup.txt" -t2 -c64 -d3600s --timeout 30s -H "X-Webhook-Token: $TOKEN" -s "$WORK/post.lua" "$HOOK" -- \
  $((WARMUP / 2)) 9000000000 "$WORK/warmup" ingest
sleep "$INTERVAL"
WARM_RSS=$(rss_now)
echo "warm-up: $(sum_progress "$WORK/warmup" | cut -d' ' -f1) requests; RSS after warm-up $WARM_RSS MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ingest" >"$WORK/phase"
INGEST_START=$(date +%s)
wrk_until "$WORK/ingest" $((REQUESTS / 2 * 2)) "$OUT/wrk-ingest.txt" -t2 -c64 -d36000s --timeout 30s --latency -H "X-Webhook-Token: $TOKEN" -s "$WORK/post.lua" "$HOOK" -- \
  $((REQUESTS / 2)) 0 "$WORK/ingest" ingest
INGEST_SECONDS=$(($(date +%s) - INGEST_START))
echo "ingest-end" >"$WORK/phase"
sleep "$INTERVAL"
END_RSS=$(rss_now)
echo "ingest-idle" >"$WORK/phase"
STORED=$(api "http://127.0.0.1:$PORT/api/listeners/$LISTENER/records?pageSize=1" | json '["total"]')
grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|^ +(50|99)%' "$OUT/wrk-ingest.txt" | sed 's/^ */wrk: /'
echo "ingest: $(sum_progress "$WORK/ingest" | cut -d' ' -f1) answers in $INGEST_SECONDS s; records stored: $STORED; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ingest files: $(files_in ingest)"

python3 - "$CSV" "$REQUESTS" "$WARM_RSS" "$END_RSS" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["rss_mib"]]
total, warm, end = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ingest = [r for r in rows if r["phase"] in ("ingest", "ingest-end")]
print("| point | requests answered | RSS MiB | GC heap MiB | time |")
print("| --- | --- | --- | --- | --- |")
warm_row = [r for r in rows if r["phase"] == "warmup"]
print(f"| after warm-up (start of the 1M) | 0 | {warm:.1f} | {ingest[0]['gc_heap_mib'] if ingest else ''} | {ingest[0]['utc'] if ingest else ''} |")
for pct in (25, 50, 75):
    row = next((r for r in ingest if int(r["requests_answered"]) >= total * pct / 100), None)
    if row:
        print(f"| {pct} % (first sample past it) | {int(row['requests_answered']):,} | {float(row['rss_mib']):.1f} | {row['gc_heap_mib']} | {row['utc']} |")
last = next((r for r in rows if r["phase"] == "ingest-end"), ingest[-1] if ingest else None)
print(f"| 100 % (5 s after wrk ended) | {int(last['requests_answered']) if last else 0:,} | {end:.1f} | {last['gc_heap_mib'] if last else ''} | {last['utc'] if last else ''} |")
peak = max(ingest + warm_row, key=lambda r: float(r["rss_mib"]))
print(f"| max during the ingest | {int(peak['requests_answered']):,} | {float(peak['rss_mib']):.1f} | {peak['gc_heap_mib']} | {peak['utc']} |")
print(f"ingest RSS growth, warm-up -> end: {end - warm:+.1f} MiB ({(end - warm) / warm * 100:+.1f} %)")
EOF

# --- Drain ----------------------------------------------------------------------------------------------------
dotnet bench/PublishBench/bin/Release/net10.0/PublishBench.dll --port "$RECEIVER_PORT" >"$OUT/receiver.log" 2>&1 &
PIDS+=("$!")
(while :; do
  curl -sf "http://127.0.0.1:$RECEIVER_PORT/count" | python3 -c 'import sys, json; print(json.load(sys.stdin)["distinct"])' >"$WORK/received.tmp" 2>/dev/null \
    && mv "$WORK/received.tmp" "$WORK/received"
  sleep 1
done) &
PIDS+=("$!")
PIDS+=("$!")
for _ in $(seq 1 20); do [ -f "$WORK/received" ] && break; sleep 0.5; done
api -d '{"name":"memdrain"}' "http://127.0.0.1:$PORT/api/integrations" >"$WORK/integration.json"
DRAIN_INTEGRATION=$(json '["id"]' <"$WORK/integration.json")
api -d "{\"name\":\"local\",\"postURL\":\"http://127.0.0.1:$RECEIVER_PORT/hook\"}" "http://127.0.0.1:$PORT/v1/mint/organizations/memdrain/webhooks" >/dev/null
DRAIN_RSS_START=$(rss_now)
echo "drain" >"$WORK/phase"
DRAIN_START=$(date +%s)
echo "drain: start $(date -u +%H:%M:%S), RSS $DRAIN_RSS_START MiB, load average $(cut -d' ' -f1-3 /proc/loadavg); $MESSAGES messages, cap ${MAX_SECONDS} s"
wrk -t2 -c8 -d36000s --timeout 30s -H "Authorization: Bearer $KEY" -s "$WORK/post.lua" \
  "http://127.0.0.1:$PORT/api/integrations/$DRAIN_INTEGRATION/messages" -- $((MESSAGES / 2)) 0 "$WORK/publish" publish >"$OUT/wrk-publish.txt" &
PUBLISHER=$!
PIDS+=("$PUBLISHER")
PUBLISHED_AT=""
while :; do
  sleep 1
  now=$(date +%s)
  received=$(cat "$WORK/received" 2>/dev/null || echo 0)
  if kill -0 "$PUBLISHER" 2>/dev/null && [ "$(sum_progress "$WORK/publish" | cut -d' ' -f1)" -ge $((MESSAGES / 2 * 2)) ]; then
    kill -INT "$PUBLISHER" 2>/dev/null || true; sleep 1   # all published: wrk would otherwise sleep out its -d
  fi
  if [ -z "$PUBLISHED_AT" ] && ! kill -0 "$PUBLISHER" 2>/dev/null; then
    PUBLISHED_AT=$now
    echo "drain: all $(sum_progress "$WORK/publish" | cut -d' ' -f1) published after $((now - DRAIN_START)) s (receiver had $received)"
  fi
  [ "$received" -ge "$MESSAGES" ] && break
  [ $((now - DRAIN_START)) -ge "$MAX_SECONDS" ] && break
done
DRAIN_END=$(date +%s)
echo "drain-end" >"$WORK/phase"
kill "$PUBLISHER" 2>/dev/null || true
DRAIN_RSS_END=$(rss_now)
RECEIVED=$(cat "$WORK/received")
read -r PUBLISHED PUBLISH_FAILED < <(sum_progress "$WORK/publish")
echo "drain: published $PUBLISHED ($PUBLISH_FAILED non-2xx), receiver got $RECEIVED in $((DRAIN_END - DRAIN_START)) s$([ "$RECEIVED" -lt "$MESSAGES" ] && echo " — CAPPED at MAX_SECONDS=$MAX_SECONDS before all $MESSAGES" || true); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "drain files: $(files_in drain)"
sleep 2

python3 - "$CSV" "$DRAIN_RSS_START" "$DRAIN_RSS_END" "$DRAIN_START" "$DRAIN_END" "$RECEIVED" "${PUBLISHED_AT:-}" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["rss_mib"] and r["phase"] == "drain"]
start, end, t0, t1, received, published_at = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
seconds = max(1, t1 - t0)
print(f"drain: {received:,} deliveries in {seconds} s = {received / seconds:.1f}/s overall")
if published_at and rows:
    # The rate once publishing was over (deliveries only, nothing else competing in the portal).
    after = [r for r in rows if int(r["epoch"]) >= int(published_at)]
    if len(after) >= 2:
        d = int(after[-1]["deliveries_received"]) - int(after[0]["deliveries_received"])
        s = int(after[-1]["elapsed_s"]) - int(after[0]["elapsed_s"])
        if s > 0:
            print(f"drain: {d / s:.1f} deliveries/s after publishing ended ({d:,} in {s} s)")
mid = min(rows, key=lambda r: abs(int(r["epoch"]) - (t0 + seconds / 2))) if rows else None
peak = max(rows, key=lambda r: float(r["rss_mib"])) if rows else None
print("| point | deliveries received | messages published | RSS MiB | GC heap MiB | time |")
print("| --- | --- | --- | --- | --- | --- |")
print(f"| start | 0 | 0 | {start:.1f} | {rows[0]['gc_heap_mib'] if rows else ''} | {rows[0]['utc'] if rows else ''} |")
if mid:
    print(f"| middle | {int(mid['deliveries_received']):,} | {int(mid['messages_published']):,} | {float(mid['rss_mib']):.1f} | {mid['gc_heap_mib']} | {mid['utc']} |")
if rows:
    print(f"| end | {received:,} | {int(rows[-1]['messages_published']):,} | {end:.1f} | {rows[-1]['gc_heap_mib']} | {rows[-1]['utc']} |")
if peak:
    print(f"| max | {int(peak['deliveries_received']):,} | {int(peak['messages_published']):,} | {float(peak['rss_mib']):.1f} | {peak['gc_heap_mib']} | {peak['utc']} |")
print(f"drain RSS growth, start -> end: {end - start:+.1f} MiB ({(end - start) / start * 100:+.1f} %)")
EOF
echo "samples: $CSV (portal log, wrk output and counters beside it)"
