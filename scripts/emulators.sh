#!/usr/bin/env bash
# Starts the Google (http://127.0.0.1:8085) and Microsoft (https://127.0.0.1:8443) provider
# emulators used by the tests, for trying the OAuth and calendar flows by hand. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'kill 0' EXIT INT TERM
node test/emulators/common/run-ts.cjs test/emulators/google/serve.ts --port "${GOOGLE_EMULATOR_PORT:-8085}" "$@" &
node test/emulators/common/run-ts.cjs test/emulators/microsoft/serve.ts --port "${MICROSOFT_EMULATOR_PORT:-8443}" &
wait
