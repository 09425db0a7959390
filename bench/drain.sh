#!/usr/bin/env bash
# Issue 17, publish and drain, in one run beside the receiver alone:
#   1. reference: wrk -t2 -c64 POSTs the ~1 KB event (bench/publish.lua) to bench/PublishBench's /ref (a bare Kestrel
#      endpoint in the receiver's process): what the receiver takes alone;
#   2. publish: wrk -t2 -c64 -d PUBLISH_SECONDS against POST /api/integrations/{id}/messages (API key, one webhook
#      pointing at the receiver's /hook) — publish requests/s;
#   3. drain: from the end of publishing until no delivery is pending (or DRAIN_CAP seconds), the deliveries the receiver
#      got per second — the backlog draining with nothing else running — and its ratio to the reference;
#   4. backlog: the webhook disabled, every delivery of the run made held again (SQL), the webhook enabled: the whole
#      backlog released at once, drained with nothing else running (a warm portal; the receiver counts requests);
#   5. nothing missing: acknowledged publishes, messages, deliveries, delivered rows and distinct webhook-ids received.
# Usage: [PORTAL_DIR=other checkout] [PUBLISH_SECONDS=20] [DRAIN_CAP=300] [PERFMAP=1] bench/drain.sh [connections]
#        PERFMAP=1 starts the portal with its perf map (DOTNET_PerfMapEnabled) for `perf record -g -p <pid>`.
#        PORTAL_DIR runs the portal built in another checkout (a before-run); the receiver and scripts come from here.
#        The portal inherits the environment: Delivery__MaxConcurrencyPerTarget=16 lets 16 attempts at once to the one
#        webhook (default 4, which bounds this bench's drain first; bench/RESULTS.md gives both).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${1:-64}"
PUBLISH_SECONDS="${PUBLISH_SECONDS:-20}"
DRAIN_CAP="${DRAIN_CAP:-300}"
PORTAL_DIR="${PORTAL_DIR:-$PWD}"
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
RECEIVER_PORT=$(free_port)
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt-get install -y sqlite3)"; exit 1; }

(cd "$PORTAL_DIR" && dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null)
dotnet build bench/PublishBench/PublishBench.csproj -c Release -v q >/dev/null

dotnet bench/PublishBench/bin/Release/net10.0/PublishBench.dll --port "$RECEIVER_PORT" >"$WORK/receiver.log" 2>&1 &
RECEIVER=$!
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
Outbound__AllowedHosts__0=127.0.0.1 DOTNET_PerfMapEnabled=${PERFMAP:-0} DOTNET_EnableWriteXorExecute=${PERFMAP:+0} \
  dotnet "$PORTAL_DIR/WebhookPortal/bin/Release/net10.0/WebhookPortal.dll" >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL $RECEIVER 2>/dev/null || true; [ -n "${PORTAL_LOG:-}" ] && cp "$WORK/portal.log" "$PORTAL_LOG"; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$RECEIVER_PORT/count" >/dev/null && break; sleep 1; done

api() { curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
INTEGRATION=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/integrations" | json '["id"]')
KEY=$(api -d '{"name":"bench","role":"Admin"}' "http://127.0.0.1:$PORT/api/api-keys" | json '["key"]')
WEBHOOK=$(api -d "{\"name\":\"orders\",\"postURL\":\"http://127.0.0.1:$RECEIVER_PORT/hook\",\"eventTypes\":[\"order.created\"]}" \
  "http://127.0.0.1:$PORT/v1/mint/organizations/bench/webhooks" | json '["id"]')
PUBLISH="http://127.0.0.1:$PORT/api/integrations/$INTEGRATION/messages"
sql() { sqlite3 "$WORK/portal.db" "PRAGMA busy_timeout=10000; $1" | tail -1; }
received() { curl -s "http://127.0.0.1:$RECEIVER_PORT/count" | json "[\"$1\"]"; }
pending() { sql "SELECT COUNT(*) FROM Deliveries WHERE State = 'pending';"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ); portal commit $(git -C "$PORTAL_DIR" rev-parse --short HEAD)$(git -C "$PORTAL_DIR" diff --quiet HEAD -- WebhookPortal || echo '+changes')"
# Warm-up: JIT, connection pools, a few hundred deliveries; then wait for them so the drain starts from nothing.
KEY="" wrk -t2 -c"$CONNECTIONS" -d3s -s bench/publish.lua "http://127.0.0.1:$RECEIVER_PORT/ref" >/dev/null
KEY="$KEY" wrk -t2 -c8 -d3s -s bench/publish.lua "$PUBLISH" >/dev/null
for _ in $(seq 1 120); do [ "$(pending)" = "0" ] && break; sleep 1; done

KEY="" wrk -t2 -c"$CONNECTIONS" -d10s --latency -s bench/publish.lua "http://127.0.0.1:$RECEIVER_PORT/ref" >"$WORK/reference.txt"
BEFORE=$(received distinct)
KEY="$KEY" wrk -t2 -c"$CONNECTIONS" -d"${PUBLISH_SECONDS}s" --latency -s bench/publish.lua "$PUBLISH" >"$WORK/publish.txt"
DRAIN_START=$(date +%s.%N); AT_START=$(received distinct); PENDING_AT_START=$(pending)
while :; do
  P=$(pending); NOW=$(date +%s.%N)
  [ "$P" = "0" ] && break
  python3 -c "import sys; sys.exit(0 if $NOW - $DRAIN_START < $DRAIN_CAP else 1)" || break
  sleep 0.5
done
DRAIN_END=$(date +%s.%N); AT_END=$(received distinct)
for _ in $(seq 1 "$DRAIN_CAP"); do [ "$(pending)" = "0" ] && break; sleep 1; done

# The backlog: every delivery so far held again behind the disabled webhook, then released at once by enabling it.
enable() { curl -sf -u "$ADMIN:$PASS" -X PUT -H 'Content-Type: application/json' -d "{\"enabled\":$1}" \
  "http://127.0.0.1:$PORT/v1/mint/organizations/bench/webhooks/$WEBHOOK" >/dev/null; }
enable false
BACKLOG=$(sql "UPDATE Deliveries SET State = 'held', LeaseUntilUtc = NULL, AttemptCount = 0 WHERE State = 'delivered'; SELECT changes();")
waiting() { sql "SELECT COUNT(*) FROM Deliveries WHERE State IN ('pending', 'held');"; }
cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; }   # utime + stime, in ms at 100 ticks/s
R0=$(received received); B0=$(date +%s.%N); C0=$(cpu_ms "$PORTAL")
enable true
while :; do
  [ "$(waiting)" = "0" ] && break
  python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $B0 < $DRAIN_CAP else 1)" || break
  sleep 0.25
done
B1=$(date +%s.%N); R1=$(received received); C1=$(cpu_ms "$PORTAL")

field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$1"; }
total() { awk '/requests in/ {print $1}' "$1"; }
REF=$(field "$WORK/reference.txt" Requests/sec:); PUB=$(field "$WORK/publish.txt" Requests/sec:)
echo "| what | requests/s | p50 | p99 | requests | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- |"
for run in reference publish; do
  f="$WORK/$run.txt"
  echo "| $run | $(field "$f" Requests/sec:) | $(field "$f" 50%) | $(field "$f" 99%) | $(total "$f") | $(non2xx "$f") |"
done
ACKED=$(( $(total "$WORK/publish.txt") - $(non2xx "$WORK/publish.txt") ))
python3 - "$REF" "$PUB" "$DRAIN_START" "$DRAIN_END" "$AT_START" "$AT_END" "$BEFORE" "$PENDING_AT_START" "$PUBLISH_SECONDS" <<'PY'
import sys
ref, pub, t0, t1, a0, a1, before, pending0, secs = map(float, sys.argv[1:])
during = a0 - before
print(f"publish: {pub:,.0f} req/s ({pub / ref:.1%} of the receiver alone); delivered while publishing: {during:,.0f} in {secs:.0f} s = {during / secs:,.0f}/s")
drained = a1 - a0
if t1 - t0 > 0 and drained > 0:
    rate = drained / (t1 - t0)
    print(f"drain: {pending0:,.0f} pending when publishing ended; {drained:,.0f} delivered in {t1 - t0:.1f} s = {rate:,.0f} deliveries/s = {rate / ref:.1%} of the receiver alone ({ref:,.0f} req/s)")
else:
    print(f"drain: nothing was left pending when publishing ended ({pending0:.0f})")
PY
python3 - "$REF" "$B0" "$B1" "$R0" "$R1" "$BACKLOG" "$(waiting)" "$C0" "$C1" <<'PY'
import sys
ref, t0, t1, r0, r1, backlog, left, c0, c1 = map(float, sys.argv[1:])
rate = (r1 - r0) / (t1 - t0)
print(f"backlog drain: {backlog:,.0f} held deliveries released at once; {r1 - r0:,.0f} delivered in {t1 - t0:.1f} s = {rate:,.0f} deliveries/s = {rate / ref:.1%} of the receiver alone ({ref:,.0f} req/s); {left:.0f} left; portal CPU {(c1 - c0) / max(r1 - r0, 1):.2f} ms per delivery")
PY
read -r MESSAGES DELIVERIES DELIVERED PENDING < <(sqlite3 -separator ' ' "$WORK/portal.db" "PRAGMA busy_timeout=10000; SELECT (SELECT COUNT(*) FROM Messages), (SELECT COUNT(*) FROM Deliveries), (SELECT COUNT(*) FROM Deliveries WHERE State = 'delivered'), (SELECT COUNT(*) FROM Deliveries WHERE State = 'pending');" | tail -1)
echo "nothing missing? acknowledged (measured run) $ACKED; in the database (all runs) $MESSAGES messages, $DELIVERIES deliveries, $DELIVERED delivered, $PENDING pending; the receiver saw $(received distinct) distinct webhook-ids in $(received received) requests (each delivery twice: the run, then the backlog)"
