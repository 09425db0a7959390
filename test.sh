#!/usr/bin/env bash
# Runs every test of WebhookPortal on a fresh machine: installs what the tests need, builds, tests.
set -euo pipefail
cd "$(dirname "$0")"

# Browser tests drive Debian's Chromium (a test tool's own browser download cannot work offline).
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi

dotnet tool restore
dotnet build WebhookPortal.sln -c Release

# One test project after the other: both start many real portals with background workers,
# and on a 2-core machine running them side by side only adds contention.
status=0
dotnet test WebhookPortal.Tests/WebhookPortal.Tests.csproj -c Release --no-build || status=1
dotnet test WebhookPortal.E2E/WebhookPortal.E2E.csproj -c Release --no-build || status=1
exit $status
