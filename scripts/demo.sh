#!/usr/bin/env bash
# The demo: installs what is missing, then `slbp demo`: creates the demo WordPress database
# `slbp_demo` (small size; DEMO_SIZE=bench for a million transactions) and runs the sidecar on
# it in the foreground. Arguments go to `slbp demo` (e.g. --port 8790); see `slbp demo --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh demo
exec node --max-old-space-size=192 --no-allocation-site-pretenuring --import tsx src/cli/main.ts demo --db "${DB_NAME:-slbp_demo}" --size "${DEMO_SIZE:-small}" ${DEMO_REPLACE:+--replace} "$@"
