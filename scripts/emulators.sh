#!/usr/bin/env bash
# Starts the provider emulators used by the tests, for trying the OAuth, calendar and invoicing
# flows by hand: Google (http://127.0.0.1:8085), Microsoft (https://127.0.0.1:8443), and Moneybird,
# Harvest and Xero (http://127.0.0.1:8086, 8087, 8088; they print the .env lines that point danwel
# at them). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'kill 0' EXIT INT TERM
node test/emulators/common/run-ts.cjs test/emulators/google/serve.ts --port "${GOOGLE_EMULATOR_PORT:-8085}" "$@" &
node test/emulators/common/run-ts.cjs test/emulators/microsoft/serve.ts --port "${MICROSOFT_EMULATOR_PORT:-8443}" &
node test/emulators/common/run-ts.cjs test/emulators/invoicing-serve.ts \
  --moneybird-port "${MONEYBIRD_EMULATOR_PORT:-8086}" --harvest-port "${HARVEST_EMULATOR_PORT:-8087}" \
  --xero-port "${XERO_EMULATOR_PORT:-8088}" &
wait
