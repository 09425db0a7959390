#!/usr/bin/env bash
# Receiver throughput and latency against a bare ASP.NET Core endpoint, same machine, same run.
# Usage: bench/receiver.sh [requests] [concurrency]     (defaults 20000 64)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${1:-20000}"
CONCURRENCY="${2:-64}"
PORT=5189
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"

dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null
dotnet build bench/ReceiverBench/ReceiverBench.csproj -c Release -v q >/dev/null

ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
  dotnet WebhookPortal/bin/Release/net10.0/WebhookPortal.dll >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

api() { curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
INTEGRATION=$(api -d '{"name":"bench"}' "http://127.0.0.1:$PORT/api/integrations" | json '["id"]')
LISTENER=$(api -d '{"name":"orders","auth":{"method":"Token","readFrom":"Header","name":"X-Webhook-Token"}}' "http://127.0.0.1:$PORT/api/integrations/$INTEGRATION/listeners" | json '["id"]')
TOKEN=$(api -X POST "http://127.0.0.1:$PORT/api/listeners/$LISTENER/token" | json '["token"]')
api -d '{"sample":{"id":1,"name":"x","amount":1.5,"active":true,"comments":[{"text":"a"}]},"baseName":"orders","primaryKey":["id"]}' \
  "http://127.0.0.1:$PORT/api/listeners/$LISTENER/tables" >/dev/null

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ)"
dotnet bench/ReceiverBench/bin/Release/net10.0/ReceiverBench.dll --hook "http://127.0.0.1:$PORT/hooks/$INTEGRATION/$LISTENER" \
  --token "$TOKEN" --requests "$REQUESTS" --concurrency "$CONCURRENCY"
STORED=$(api "http://127.0.0.1:$PORT/api/listeners/$LISTENER/records?pageSize=1" | json '["total"]')
echo "records stored: $STORED (expected $((REQUESTS * 2)) — the warm-up run uses other ids)"
