#!/usr/bin/env bash
# Issue 20: the dashboard's aggregate queries on a throw-away database of 1,000,000 log entries and 200,000 deliveries.
# Usage: bench/dashboard.sh [log-entries] [deliveries] [runs]            (defaults 1000000 200000 5)
#        PORTAL_BENCH_POSTGRES="Host=127.0.0.1;Port=55432;Username=portal" bench/dashboard.sh   (PostgreSQL instead of SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
LOGS="${1:-1000000}"
DELIVERIES="${2:-200000}"
RUNS="${3:-5}"

dotnet build bench/DashboardBench/DashboardBench.csproj -c Release -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git rev-parse --short HEAD)"
ARGS=(--logs "$LOGS" --deliveries "$DELIVERIES" --runs "$RUNS")
if [[ -n "${PORTAL_BENCH_POSTGRES:-}" ]]; then ARGS+=(--postgres "$PORTAL_BENCH_POSTGRES"); fi
dotnet bench/DashboardBench/bin/Release/net10.0/DashboardBench.dll "${ARGS[@]}"
