#!/usr/bin/env bash
# Issue 17, "log viewer queries at 1M entries": the same GET /api/logs queries against a portal holding 1,000,000
# log entries and one holding 10,000 (the reference), both running side by side, in one run; prints the medians and
# the ratio of each query.
# Usage: bench/logs.sh [large] [small] [runs]            (defaults 1000000 10000 15)
#        PORTAL_BENCH_POSTGRES="Host=127.0.0.1;Port=55432;Username=portal" bench/logs.sh   (PostgreSQL instead of SQLite)
#        LOGS_BENCH_DIR=/tmp/logs-bench bench/logs.sh   keeps the databases there and reuses them on the next run (the
#        portals then apply any newer migration at start: the time to start is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
LARGE="${1:-1000000}"
SMALL="${2:-10000}"
RUNS="${3:-15}"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
WORK="${LOGS_BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$WORK"
PG="${PORTAL_BENCH_POSTGRES:-}"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -z "${LOGS_BENCH_DIR:-}" ]]; then
    if [[ -n "$PG" ]]; then
      for db in $(cat "$WORK"/*.pgname 2>/dev/null); do
        dotnet bench/LogsBench/bin/Release/net10.0/LogsBench.dll drop --postgres "$PG" --database "$db" || true
      done
    fi
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null
dotnet build bench/LogsBench/LogsBench.csproj -c Release -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git rev-parse --short HEAD)${PG:+; PostgreSQL}"

# Fills (or finds) one database and starts a portal on it: $1 = small|large, $2 = entries, $3 = port.
start() {
  local name="$1" entries="$2" port="$3" conn provider=Sqlite
  if [[ -n "$PG" ]]; then
    provider=PostgreSql
    [[ -f "$WORK/$name.pgname" ]] || { echo "logs_bench_${name}_$RANDOM" >"$WORK/$name.pgname"; dotnet bench/LogsBench/bin/Release/net10.0/LogsBench.dll fill --entries "$entries" --postgres "$PG" --database "$(cat "$WORK/$name.pgname")"; }
    conn="$PG;Database=$(cat "$WORK/$name.pgname")"
  else
    [[ -f "$WORK/$name.db" ]] || dotnet bench/LogsBench/bin/Release/net10.0/LogsBench.dll fill --entries "$entries" --sqlite "$WORK/$name.db"
    conn="Data Source=$WORK/$name.db"
  fi

  # Retention would cut the bench's 1,000,000 entries to 10,000 per listener (Logs:MaxEntriesPerSource) at the hour.
  local started=$SECONDS
  ASPNETCORE_URLS="http://127.0.0.1:$port" Database__Provider="$provider" ConnectionStrings__Portal="$conn" \
  Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$port" Logging__LogLevel__Default=Warning \
  Logs__MaxEntriesPerSource=10000000 Logs__RetentionDays=36500 Retention__Cron="0 0 1 1 *" \
    dotnet WebhookPortal/bin/Release/net10.0/WebhookPortal.dll >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 1800); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done
  echo "portal '$name' ($entries entries) answering after $((SECONDS - started)) s (migrations at start included)"
}

start small "$SMALL" 5193
start large "$LARGE" 5194

# Each portal rolls the whole log up into hourly traffic counts in its first minute (a recurring job): wait for that
# minute, then until both are idle (under 5 % of a core for 3 s running), so that the timings are of the queries alone.
sleep 70
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for _ in $(seq 1 120); do
  busy=0
  for pid in "${PIDS[@]}"; do
    a=$(ticks "$pid"); sleep 3; b=$(ticks "$pid")
    (( b - a > 15 )) && busy=1
  done
  (( busy == 0 )) && break
done

dotnet bench/LogsBench/bin/Release/net10.0/LogsBench.dll time --small "http://127.0.0.1:5193" --large "http://127.0.0.1:5194" --user "$ADMIN" --password "$PASS" --runs "$RUNS"
