#!/usr/bin/env bash
# Installs npm dependencies when package-lock.json changed since the last install, including
# the native modules (better-sqlite3, argon2) that package.json's allowScripts lets build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
