#!/usr/bin/env bash
# Publish throughput (POST /api/integrations/{id}/messages with an API key, ~1 KB payload, one webhook) against a bare
# ASP.NET Core endpoint answering the same POST, same machine, same run, both with wrk; then waits for the deliveries
# and counts them (in the database and at the receiver).
# Usage: [PORTAL_DIR=other checkout] [WARMUP=60] bench/publish.sh [duration] [connections]     (defaults 15s 64; wrk -t2)
# WARMUP: seconds of publishing before the measured run. Publish with deliveries beside it warms slowly: after 15 s the
# JIT's background tier-1 compiles were still 28 % of the portal's CPU samples in the measured run, after 60 s none
# (perf, 2026-12-06; bench/RESULTS.md).
# PORTAL_DIR runs the portal built in another checkout (a before-run); the receiver and scripts come from here.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-15s}"
CONNECTIONS="${2:-64}"
PORT=5190
RECEIVER_PORT=5191
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }

PORTAL_DIR="${PORTAL_DIR:-$PWD}"
dotnet build "$PORTAL_DIR/WebhookPortal/WebhookPortal.csproj" -c Release -v q >/dev/null
dotnet build bench/PublishBench/PublishBench.csproj -c Release -v q >/dev/null

dotnet bench/PublishBench/bin/Release/net10.0/PublishBench.dll --port "$RECEIVER_PORT" >"$WORK/receiver.log" 2>&1 &
RECEIVER=$!
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
Outbound__AllowedHosts__0=127.0.0.1 \
  dotnet "$PORTAL_DIR/WebhookPortal/bin/Release/net10.0/WebhookPortal.dll" >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL $RECEIVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$RECEIVER_PORT/count" >/dev/null && break; sleep 1; done

api() { curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
INTEGRATION=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/integrations" | json '["id"]')
KEY=$(api -d '{"name":"bench","role":"Admin"}' "http://127.0.0.1:$PORT/api/api-keys" | json '["key"]')
api -d "{\"name\":\"orders\",\"postURL\":\"http://127.0.0.1:$RECEIVER_PORT/hook\",\"eventTypes\":[\"order.created\"]}" \
  "http://127.0.0.1:$PORT/v1/mint/organizations/bench/webhooks" >/dev/null
PUBLISH="http://127.0.0.1:$PORT/api/integrations/$INTEGRATION/messages"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ); portal commit $(git -C "$PORTAL_DIR" rev-parse --short HEAD)$(git -C "$PORTAL_DIR" diff --quiet HEAD -- WebhookPortal || echo '+changes')"
echo "command: wrk -t2 -c$CONNECTIONS -d$DURATION --latency -s bench/publish.lua"
# Warm-up (JIT, connection pools, the first deliveries), then the measured runs.
KEY="" wrk -t2 -c"$CONNECTIONS" -d3s -s bench/publish.lua "http://127.0.0.1:$RECEIVER_PORT/ref" >/dev/null
KEY="$KEY" wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-60}s" -s bench/publish.lua "$PUBLISH" >/dev/null
sqlite3 "$WORK/portal.db" "PRAGMA busy_timeout=5000; SELECT COUNT(*) FROM Messages;" >"$WORK/warm" 2>/dev/null || echo 0 >"$WORK/warm"

KEY="" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/publish.lua "http://127.0.0.1:$RECEIVER_PORT/ref" >"$WORK/bare.txt"
cpu() { awk '{print $14 + $15}' "/proc/$PORTAL/stat"; }   # the portal's user + system CPU, in clock ticks
CPU_BEFORE=$(cpu)
KEY="$KEY" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/publish.lua "$PUBLISH" >"$WORK/portal.txt"
CPU_AFTER=$(cpu)

field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$1"; }
total() { awk '/requests in/ {print $1}' "$1"; }
BARE_RPS=$(field "$WORK/bare.txt" Requests/sec:); PORTAL_RPS=$(field "$WORK/portal.txt" Requests/sec:)
echo "| endpoint | requests/s | p50 | p99 | requests | non-2xx | socket errors |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for run in bare portal; do
  f="$WORK/$run.txt"
  echo "| $run | $(field "$f" Requests/sec:) | $(field "$f" 50%) | $(field "$f" 99%) | $(total "$f") | $(non2xx "$f") | $(awk '/Socket errors/ {$1=$2=""; print}' "$f") |"
done
python3 -c "print(f'ratio publish/bare: {$PORTAL_RPS / $BARE_RPS:.1%}')"
TICK=$(getconf CLK_TCK)
python3 -c "print(f'portal CPU during the measured run: {($CPU_AFTER - $CPU_BEFORE) * 1000 / $TICK:.0f} ms, {($CPU_AFTER - $CPU_BEFORE) * 1000 / $TICK * 1000 / $(total "$WORK/portal.txt"):.0f} CPU-ms per 1k publishes (the deliveries made meanwhile included)')"

# Every acknowledged message is stored with its delivery, and every delivery is made once.
ACKED=$(( $(total "$WORK/portal.txt") - $(non2xx "$WORK/portal.txt") ))
for _ in $(seq 1 180); do
  PENDING=$(sqlite3 "$WORK/portal.db" "PRAGMA busy_timeout=5000; SELECT COUNT(*) FROM Deliveries WHERE State = 'pending';" | tail -1)
  [ "$PENDING" = "0" ] && break; sleep 1
done
read -r MESSAGES DELIVERIES DELIVERED < <(sqlite3 -separator ' ' "$WORK/portal.db" "PRAGMA busy_timeout=5000; SELECT (SELECT COUNT(*) FROM Messages), (SELECT COUNT(*) FROM Deliveries), (SELECT COUNT(*) FROM Deliveries WHERE State = 'delivered');" | tail -1)
echo "acknowledged (measured run): $ACKED; in the database (all runs): $MESSAGES messages, $DELIVERIES deliveries, $DELIVERED delivered, $PENDING still pending"
echo "receiver: $(curl -s "http://127.0.0.1:$RECEIVER_PORT/count") (received counts retries; distinct = webhook-ids)"
