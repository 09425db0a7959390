#!/usr/bin/env bash
# Issue 16, isolation: a fast receiver's deliveries alone, and beside a receiver that sleeps 3 s, in one run.
# Usage: bench/isolation.sh [messages] [slow-ms]     (defaults 1000 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES="${1:-1000}"
SLOW_MS="${2:-3000}"
PORT=5191
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"

dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null
dotnet build bench/IsolationBench/IsolationBench.csproj -c Release -v q >/dev/null

# The slow receiver is answered within the read timeout (5 s), so its attempts hold their lane the whole 3 s.
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
Outbound__AllowedHosts__0=127.0.0.1 Delivery__ReadTimeout=00:00:05 \
  dotnet WebhookPortal/bin/Release/net10.0/WebhookPortal.dll >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

KEY=$(curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' -d '{"name":"isolation bench","role":"Admin"}' \
  "http://127.0.0.1:$PORT/api/api-keys" | python3 -c "import sys, json; print(json.load(sys.stdin)['key'])")

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git rev-parse --short HEAD)"
dotnet bench/IsolationBench/bin/Release/net10.0/IsolationBench.dll --portal "http://127.0.0.1:$PORT" --key "$KEY" --messages "$MESSAGES" --slow-ms "$SLOW_MS"
