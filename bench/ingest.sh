#!/usr/bin/env bash
# Issue 17, row "listener ingest": wrk -t2 -c64 with ~1 KB JSON records, in one run, against
#   1. bare Kestrel (bench/IngestRef POST /bare: reads the body, answers 200),
#   2. a plain SQLite group commit (bench/IngestRef POST /group: one writer, a prepared INSERT per record, one
#      COMMIT per batch, the 200 after the commit) — the issue's reference, the database's practical limit here,
#   3. the portal's listener (token auth, parse, 1 root + 2 child rows, log entry, group commit; Release, SQLite).
# Prints requests/s, p50/p99, non-2xx and CPU-ms per 1,000 requests of each, the two ratios the issue asks for, and
# checks that every 2xx of the portal is a stored record.
# Usage: [WARMUP=15] bench/ingest.sh [seconds] [connections]     (defaults 10 64)    Needs: wrk (apt-get install -y wrk)
# WARMUP: seconds of load before each measured run; at 3 s the portal's JIT (tiered PGO) was still cold (bench/RESULTS.md).
# PORTAL_DIR=/path/to/another/checkout measures that checkout's portal beside this checkout's references.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
PORT=5196
REF_PORT=5197
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
PORTAL_DIR="${PORTAL_DIR:-$PWD}"

dotnet build "$PORTAL_DIR/WebhookPortal/WebhookPortal.csproj" -c Release -v q >/dev/null
dotnet build bench/IngestRef/IngestRef.csproj -c Release -v q >/dev/null
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
  dotnet "$PORTAL_DIR/WebhookPortal/bin/Release/net10.0/WebhookPortal.dll" >"$WORK/portal.log" 2>&1 &
PORTAL=$!
dotnet bench/IngestRef/bin/Release/net10.0/IngestRef.dll --port "$REF_PORT" --db "$WORK/ref.db" >"$WORK/ref.log" 2>&1 &
REF=$!
trap 'kill $PORTAL $REF 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$REF_PORT/count" >/dev/null && break; sleep 1; done

api() { curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
INTEGRATION=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/integrations" | json '["id"]')
LISTENER=$(api -d '{"name":"orders","auth":{"method":"Token","readFrom":"Header","name":"X-Webhook-Token"}}' "http://127.0.0.1:$PORT/api/integrations/$INTEGRATION/listeners" | json '["id"]')
export TOKEN
TOKEN=$(api -X POST "http://127.0.0.1:$PORT/api/listeners/$LISTENER/token" | json '["token"]')
api -d '{"sample":{"id":1,"name":"x","amount":1.5,"active":true,"comments":[{"text":"a"}]},"baseName":"orders","primaryKey":["id"]}' \
  "http://127.0.0.1:$PORT/api/listeners/$LISTENER/tables" >/dev/null

echo "portal: $(git -C "$PORTAL_DIR" rev-parse --short HEAD)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ); wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
echo "| target | requests/s | p50 | p99 | non-2xx answers | CPU-ms per 1k requests |"
echo "| --- | --- | --- | --- | --- | --- |"

cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; }   # utime + stime, in ms at 100 ticks/s
OFFSET=0
run() {
  local name="$1" pid="$2" url="$3"
  OFFSET=$((OFFSET + 10000000)) wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-15}s" -s bench/ingest.lua "$url" >/dev/null   # warm-up, its own ids
  OFFSET=$((OFFSET + 20000000))
  local before after out
  before=$(cpu_ms "$pid")
  out=$(OFFSET=$OFFSET wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s bench/ingest.lua "$url")
  after=$(cpu_ms "$pid")
  local rps requests non2xx p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %.0f |\n' "$name" "$rps" "$p50" "$p99" "$non2xx" "$(echo "($after - $before) * 1000 / $requests" | bc -l)"
  echo "$rps" >"$WORK/$name.rps"
  echo "$((requests - non2xx))" >"$WORK/$name.ok"
}
export OFFSET
run bare-kestrel "$REF" "http://127.0.0.1:$REF_PORT/bare"
run sqlite-group-commit "$REF" "http://127.0.0.1:$REF_PORT/group"
run portal-listener "$PORTAL" "http://127.0.0.1:$PORT/hooks/$INTEGRATION/$LISTENER"

ratio() { echo "scale=2; $(cat "$WORK/$1.rps") / $(cat "$WORK/$2.rps")" | bc; }
echo "ratio portal / group commit: $(ratio portal-listener sqlite-group-commit) (goal >= 0.70)"
echo "ratio portal / bare Kestrel: $(ratio portal-listener bare-kestrel) (goal >= 0.25; and the portal's p99 <= 20 ms)"
STORED=$(api "http://127.0.0.1:$PORT/api/listeners/$LISTENER/records?pageSize=1" | json '["total"]')
echo "portal records stored: $STORED (2xx answers, warm-up included: at least $(cat "$WORK/portal-listener.ok") in the measured run)"
echo "group-commit rows stored: $(curl -sf "http://127.0.0.1:$REF_PORT/count" | json '["stored"]')"
