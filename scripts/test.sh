#!/usr/bin/env bash
# Runs every test of meetd: Go vet, the Go tests with the race detector (unit, store, end-to-end with
# a real embedded LiveKit and WebRTC bots, browser tests when Chromium is installed), and the
# meeting page's JavaScript unit tests when Node.js is there. PostgreSQL and Redis, when installed, are
# started for the scale-out tests by scripts/services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== services for the scale-out tests (PostgreSQL, Redis)"
if [ -z "${MEETD_TEST_DATABASE_URL:-}${MEETD_TEST_REDIS_URL:-}" ]; then
  eval "$(scripts/services.sh | grep "^export MEETD_TEST_" || true)"
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 30m ./...

if command -v npm >/dev/null 2>&1; then
  echo "== the committed bundle is what web/build.sh makes"
  web/build.sh >/dev/null 2>&1
  git diff --exit-code --stat -- internal/web/static/
  echo "== web unit tests (node)"
  (cd web && npm test --silent)
else
  echo "== web unit tests skipped: npm not installed"
fi
