#!/usr/bin/env bash
# Command 2: install what the tests need and run all of them — lint, type checks, build, unit
# specs, and the e2e suite on SQLite and on a throwaway MariaDB server the suite starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the suite drives: MariaDB for the MySQL half, Chromium for the browser specs.
packages=()
if [ -z "${TEST_MYSQL_URL:-}" ] && ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  packages+=(mariadb-server)
fi
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || packages+=(chromium)
if [ "${#packages[@]}" -gt 0 ]; then
  echo "Installing ${packages[*]} (the suite runs on a throwaway MariaDB and drives Chromium)..."
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

bash scripts/install.sh
echo "Node $(node --version): lint, build, the web app's specs"
npm run --silent lint
npm run --silent build
# The browser app: its generated API client must match the server.
npm run --silent build:web
# Each runner writes a JSON report; the last line of the run is one total over all of them.
results=storage/test-results
mkdir -p "$results" && rm -f "$results"/*.json
status=0
# Its unit specs (time maths, API adapter); the JSON report counts in the total.
(cd web && npx vitest run --reporter=default --reporter=json --outputFile="../$results/web-unit.json") || status=$?
# Browser specs: Chromium against the built server on SQLite, one worker.
(cd web && E2E_JSON="$(pwd)/../$results/web-browser.json" npx playwright test -c e2e/playwright.config.ts) ||
  status=$?
# Two Jest workers: much of the suite waits on MariaDB, the emulators and worker processes.
echo "Node $(node --version): the whole Jest suite (unit, SQLite, MariaDB)"
npx jest -c test/jest.config.js --maxWorkers=2 --json --outputFile="$results/jest.json" "$@" || status=$?
# The newest LTS too: unit specs and the SQLite e2e suite, in a copy of the project whose
# better-sqlite3 is built for that Node (scripts/node-leg.sh; cached under storage/node-legs/).
leg_version=${NODE_LEG_VERSION:-24.22.3}
if leg_tree=$(bash scripts/node-leg.sh "$leg_version"); then
  echo "Node v$leg_version: unit specs and the SQLite e2e suite"
  (cd "$leg_tree" && PATH="$(pwd)/../node/bin:$PATH" node node_modules/jest/bin/jest.js \
    -c test/jest.config.js --selectProjects unit sqlite --maxWorkers=2 --json \
    --outputFile="$OLDPWD/$results/jest-node-$leg_version.json" "$@") || status=$?
else
  echo "Node v$leg_version could not be prepared (see above)"
  status=1
fi
node scripts/test-summary.mjs "$results"
exit "$status"
