#!/usr/bin/env bash
# Runs every test of WebhookPortal on a fresh machine: installs what the tests need, builds, tests.
# The portal's tests run twice: on SQLite (the default) and on a throw-away PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
# Browser tests drive Debian's Chromium (a test tool's own browser download cannot work offline).
[ -x /usr/bin/chromium ] || need+=(chromium)
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
# The cluster test puts Debian's nginx in front of two portals (deploy/cluster.sh).
[ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update
  $SUDO apt-get install -y "${need[@]}"
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

dotnet tool restore
dotnet build WebhookPortal.sln -c Release

# A PostgreSQL server of our own on a free loopback port, in a temporary folder, gone at exit.
# PostgreSQL refuses to run as root: as root it runs as the postgres user Debian's package creates.
pg_dir="$(mktemp -d /tmp/webhookportal-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
stop_pg() { as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
as_pg "'$pg_bin/initdb' -D '$pg_dir/data' -U portal --auth=trust" >/dev/null
as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/server.log' -w -o \"-p $pg_port -k '$pg_dir' -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off\" start" >/dev/null

# One test run after the other: each starts many real portals with background workers,
# and on a 2-core machine running them side by side only adds contention.
status=0
# A failed run shows what Hangfire and the delivery engine logged (late or lost background work reads there); the
# whole log, with the errors the tests provoke on purpose, stays in TestResults/portal-errors.log.
portal_log=WebhookPortal.Tests/bin/Release/net10.0/TestResults/portal-errors.log
show_background_log() {
  echo "-- Hangfire and delivery lines of $portal_log (last 60):"
  grep -aE '^[0-9T:.-]+Z (Hangfire|WebhookPortal\.Features\.Deliveries)' "$portal_log" 2>/dev/null | tail -n 60 || true
}
echo "== WebhookPortal.Tests on SQLite"
rm -f "$portal_log"
dotnet test WebhookPortal.Tests/WebhookPortal.Tests.csproj -c Release --no-build || { status=1; show_background_log; }
echo "== WebhookPortal.Tests on PostgreSQL ($("$pg_bin/postgres" --version))"
rm -f "$portal_log"
PORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=portal" \
  dotnet test WebhookPortal.Tests/WebhookPortal.Tests.csproj -c Release --no-build || { status=1; show_background_log; }
echo "== WebhookPortal.E2E"
dotnet test WebhookPortal.E2E/WebhookPortal.E2E.csproj -c Release --no-build || status=1
echo "== WebhookPortal.ClusterTests (deploy/cluster.sh: its own PostgreSQL, 2 portals, nginx; one portal killed mid-run)"
dotnet test WebhookPortal.ClusterTests/WebhookPortal.ClusterTests.csproj -c Release --no-build || status=1
cat WebhookPortal.ClusterTests/bin/Release/net10.0/TestResults/cluster-figures-*.md 2>/dev/null || true
exit $status
