#!/usr/bin/env bash
# The API's credentials in one run: GET /api/integrations with an API key, with HTTP Basic (right password) and
# with HTTP Basic and made-up passwords, each with wrk on the same portal (SQLite, Release build).
# Prints requests/s and latency of each, the Basic / API-key ratio, and the portal's CPU per 1,000 requests.
# Usage: bench/credentials.sh [seconds] [connections]     (defaults 10 16)    Needs: wrk (apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-16}"
PORT=5193
WORK="$(mktemp -d)"
ADMIN="bench@example.com"
PASS="Bench-Pass-1"
URL="http://127.0.0.1:$PORT/api/integrations"

dotnet build WebhookPortal/WebhookPortal.csproj -c Release -v q >/dev/null
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ConnectionStrings__Portal="Data Source=$WORK/portal.db" \
Seed__AdminEmail="$ADMIN" Seed__AdminPassword="$PASS" PublicBaseUrl="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
  dotnet WebhookPortal/bin/Release/net10.0/WebhookPortal.dll >"$WORK/portal.log" 2>&1 &
PORTAL=$!
trap 'kill $PORTAL 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done

KEY=$(curl -sf -u "$ADMIN:$PASS" -H 'Content-Type: application/json' -d '{"name":"bench","role":"Admin"}' \
  "http://127.0.0.1:$PORT/api/api-keys" | python3 -c 'import sys, json; print(json.load(sys.stdin)["key"])')
BASIC="Basic $(printf '%s' "$ADMIN:$PASS" | base64 -w0)"

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

cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$PORTAL/stat"; }   # utime + stime, in ms at 100 ticks/s
run() {
  local name="$1"; shift
  wrk -t2 -c"$CONNECTIONS" -d3s "$@" "$URL" >/dev/null            # warm-up
  local before after out
  before=$(cpu_ms)
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" "$URL")
  after=$(cpu_ms)
  local rps requests non2xx p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %.0f |\n' "$name" "$rps" "$p50" "$p99" "$non2xx" "$(echo "($after - $before) * 1000 / $requests" | bc -l)"
  echo "$rps" >"$WORK/$name.rps"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); date: $(date -u +%Y-%m-%dT%H:%MZ); wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
echo "| credential | requests/s | p50 | p99 | non-2xx answers | portal CPU-ms per 1k requests |"
echo "| --- | --- | --- | --- | --- | --- |"
run api-key -H "Authorization: Bearer $KEY"
run basic -H "Authorization: $BASIC"
run basic-wrong-password -s "$WORK/wrong.lua"
python3 -c "print(f'ratio Basic / API key: {float(open(\"$WORK/basic.rps\").read()) / float(open(\"$WORK/api-key.rps\").read()):.2f} (goal >= 0.5)')"
