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
dotnet test WebhookPortal.sln -c Release --no-build
