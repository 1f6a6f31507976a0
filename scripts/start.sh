#!/usr/bin/env bash
# Command 1: install, prepare the embedded SQLite database and run danwel with its in-process
# worker on http://localhost:3000. Needs only Node >= 20.19 (and a C++ toolchain for
# better-sqlite3 when no prebuilt binary matches, which Debian gets with build-essential).
set -euo pipefail
cd "$(dirname "$0")/.."

node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`danwel needs Node >= 20.19; this is ${process.version}.`);
    process.exit(1);
  }'

bash scripts/install.sh
npm run --silent build
npm run --silent build:web
node dist/src/cli.js key:generate --if-missing
node dist/src/cli.js migrate
exec node dist/src/main.js
