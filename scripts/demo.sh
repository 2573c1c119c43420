#!/usr/bin/env bash
# The demo: installs what is missing, creates the demo WordPress database `slbp_demo` (small
# size; DEMO_SIZE=bench for a million transactions) and runs the sidecar on it in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh demo
export DB_NAME="${DB_NAME:-slbp_demo}"
export SLBP_ENV="${SLBP_ENV:-development}"
export SLBP_HEALTH_TOKEN="${SLBP_HEALTH_TOKEN:-demo-health-token}"
export SLBP_METRICS_TOKEN="${SLBP_METRICS_TOKEN:-demo-metrics-token}"
export SLBP_SIDECAR_SECRET="${SLBP_SIDECAR_SECRET:-demo-shim-secret-change-me}"
node --import tsx scripts/demo-data.ts --db "$DB_NAME" --size "${DEMO_SIZE:-small}" ${DEMO_REPLACE:+--replace}
echo "demo: sidecar on http://${SLBP_HOST:-127.0.0.1}:${SLBP_PORT:-8787}/wp-json/skylearn-billing-pro/v1 (Ctrl-C stops it)" >&2
exec node --max-old-space-size=192 --import tsx src/main.ts "$@"
