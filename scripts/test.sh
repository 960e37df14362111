#!/usr/bin/env bash
# Runs every test of meetd: Go vet, the Go tests with the race detector (unit, store, end-to-end with
# a real embedded LiveKit and WebRTC bots, browser tests when Chromium is installed), and the
# meeting page's JavaScript unit tests when Node.js is there.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

if command -v npm >/dev/null 2>&1; then
  echo "== the committed bundle is what web/build.sh makes"
  web/build.sh >/dev/null 2>&1
  git diff --exit-code --stat -- internal/web/static/
  echo "== web unit tests (node)"
  (cd web && npm test --silent)
else
  echo "== web unit tests skipped: npm not installed"
fi
