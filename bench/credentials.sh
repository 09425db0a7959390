#!/usr/bin/env bash
# The API's credentials in one run: GET /api/integrations with an API key, with HTTP Basic (right password) and
# with HTTP Basic and made-up passwords, each with wrk on the same portal (SQLite, Release build), and the reference:
# bare Kestrel (bench/BareApi) answering the same path with the same bytes, in the same run.
# Prints requests/s and latency of each, the Basic / API-key and API-key / bare ratios, and CPU per 1,000 requests.
# Usage: bench/credentials.sh [seconds] [connections]     (defaults 10 16)    Needs: wrk (apt-get install -y wrk)
# PORTAL_DIR=/path/to/another/checkout measures that checkout's portal (e.g. the commit before a change) against
# this checkout's reference.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-16}"
PORT=5193
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
URL="http://127.0.0.1:$PORT/api/integrations"

PORTAL_DIR="${PORTAL_DIR:-$PWD}"
dotnet build "$PORTAL_DIR/WebhookPortal/WebhookPortal.csproj" -c Release -v q >/dev/null
dotnet build bench/BareApi/BareApi.csproj -c Release -v q >/dev/null
BARE_PORT=5194
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
  dotnet "$PORTAL_DIR/WebhookPortal/bin/Release/net10.0/WebhookPortal.dll" >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

KEY=$(curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' -d '{"name":"bench","role":"Admin"}' \
  "http://127.0.0.1:$PORT/api/api-keys" | python3 -c 'import sys, json; print(json.load(sys.stdin)["key"])')
BASIC="Basic $(printf '%s' "$ADMIN:$PASS" | base64 -w0)"

# The reference answers what the portal answers, byte for byte.
curl -sf -H "Authorization: Bearer $KEY" "$URL" >"$WORK/integrations.json"
dotnet bench/BareApi/bin/Release/net10.0/BareApi.dll --port "$BARE_PORT" --body "$WORK/integrations.json" >"$WORK/bare.log" 2>&1 &
BARE=$!
trap 'kill $PORTAL $BARE 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$BARE_PORT/api/integrations" >/dev/null && break; sleep 1; done

# Made-up passwords: a different one per request (wrk's Lua), as a guesser would send them.
cat >"$WORK/wrong.lua" <<'EOF'
local n = 0
request = function()
  n = n + 1
  local credential = "bench@example.com:guess-" .. n .. "-" .. math.random(1, 1000000000)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local encoded = ((credential:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#credential % 3 + 1])
  return wrk.format("GET", nil, { ["Authorization"] = "Basic " .. encoded })
end
EOF

cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; }   # utime + stime, in ms at 100 ticks/s
run() {
  local name="$1"; shift
  local pid="$PORTAL" url="$URL"
  if [ "$name" = bare-kestrel ]; then pid="$BARE"; url="http://127.0.0.1:$BARE_PORT/api/integrations"; fi
  wrk -t2 -c"$CONNECTIONS" -d3s "$@" "$url" >/dev/null            # warm-up
  local before after out
  before=$(cpu_ms "$pid")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" "$url")
  after=$(cpu_ms "$pid")
  local rps requests non2xx p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %.0f |\n' "$name" "$rps" "$p50" "$p99" "$non2xx" "$(echo "($after - $before) * 1000 / $requests" | bc -l)"
  echo "$rps" >"$WORK/$name.rps"
}

echo "portal: $(git -C "$PORTAL_DIR" rev-parse --short HEAD)$(git -C "$PORTAL_DIR" diff --quiet HEAD -- WebhookPortal || echo ' + uncommitted changes')"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
echo "| credential | requests/s | p50 | p99 | non-2xx answers | portal CPU-ms per 1k requests |"
echo "| --- | --- | --- | --- | --- | --- |"
run bare-kestrel
run api-key -H "Authorization: Bearer $KEY"
run basic -H "Authorization: $BASIC"
run basic-wrong-password -s "$WORK/wrong.lua"
python3 -c "print(f'ratio Basic / API key: {float(open(\"$WORK/basic.rps\").read()) / float(open(\"$WORK/api-key.rps\").read()):.2f} (goal >= 0.5)')"
python3 -c "print(f'ratio API key / bare Kestrel: {float(open(\"$WORK/api-key.rps\").read()) / float(open(\"$WORK/bare-kestrel.rps\").read()):.2f} (goal >= 0.25)')"
