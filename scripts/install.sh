#!/usr/bin/env bash
# Installs npm dependencies when package-lock.json changed since the last install, including
# the native modules (better-sqlite3, argon2) that package.json's allowScripts lets build.
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm install` rather than `npm ci`: the versions are the lockfile's either way, but npm 11
# leaves other platforms' optional binaries (@swc/core-darwin-*, …) out of the lockfile it
# writes, and `npm ci` then refuses the lockfile as out of sync.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

# The browser app (web/) has its own package.json and lockfile.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm --prefix web install --no-audit --no-fund
fi
