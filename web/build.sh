#!/bin/sh
# Rebuild the meeting page bundle internal/web/static/meeting.js from web/src,
# with the exact dependency versions of package-lock.json. The output is
# committed so `go run ./cmd/meetd` works without npm; running this script
# again gives a byte-identical file (esbuild writes no timestamps or paths).
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
./node_modules/.bin/esbuild src/meeting.js \
  --bundle \
  --minify \
  --format=iife \
  --target=es2020 \
  --legal-comments=eof \
  --define:process.env.NODE_ENV='"production"' \
  --log-level=warning \
  --outfile=../internal/web/static/meeting.js
