#!/bin/sh
# Installs the Debian packages the tests need (listed in scripts/test-deps.list) that are
# missing, with apt-get; uses sudo when not root. --dry-run prints the command instead.
# Then: npm ci && npm test
set -eu
cd "$(dirname "$0")/.."
missing=$(node scripts/preflight.mjs --missing)
if [ -z "$missing" ]; then
  echo "test dependencies: all installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ "${1:-}" = "--dry-run" ]; then
  echo "$sudo apt-get install -y --no-install-recommends $missing" | sed 's/^ //'
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y --no-install-recommends $missing
