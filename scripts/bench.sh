#!/usr/bin/env bash
# Runs `meetbench` (cmd/meetbench) against a meetd it starts itself and writes doc/performance.md from
# its output: every figure in that file comes from this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
go build -o "$bin/meetd" ./cmd/meetd
go build -o "$bin/meetbench" ./cmd/meetbench
out=$(mktemp)
"$bin/meetbench" -meetd "$bin/meetd" "$@" | tee "$out"
{
  echo "# Performance"
  echo
  echo "Measured by \`scripts/bench.sh\` (\`meetbench\`, which starts its own meetd as a child process on"
  echo "loopback, with a temporary data directory, and drives it with real WebRTC bots in the bench process)."
  echo "Do not edit the table by hand: run the script again."
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- Go: $(go version | cut -d' ' -f3), meetd commit $(git rev-parse --short HEAD)"
  echo
  echo '```'
  cat "$out"
  echo '```'
  echo
  cat doc/performance-notes.md
} > doc/performance.md
echo "wrote doc/performance.md"
