#!/usr/bin/env bash
# Starts the PostgreSQL and Redis servers the scale-out tests use (Debian packages postgresql and
# redis-server), on loopback, if they are installed and not running yet, and prints the environment the
# tests read:
#   MEETD_TEST_DATABASE_URL  a PostgreSQL role that may create databases (each test makes its own)
#   MEETD_TEST_REDIS_URL     a Redis server (each test uses a database number of its own)
# Use: eval "$(scripts/services.sh)". Without the packages it prints nothing and the tests that need
# them are skipped (outside CI) or fail (in CI).
set -euo pipefail

# Only the export lines may go to stdout: whatever the tools print (pg_ctlcluster says "Removed stale
# pid file." on a machine restored from an image) is sent to stderr, so eval never runs it. (No extra
# file descriptor for the exports: the servers started here would inherit it and keep $(...) open.)
log() { echo "services: $*" >&2; }

if command -v pg_lsclusters >/dev/null 2>&1; then
  if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
    log "creating PostgreSQL cluster $ver/main"
    pg_createcluster "$ver" main >&2
  fi
  read -r ver cluster port status _ < <(pg_lsclusters -h | head -1)
  if [ "$status" != online ]; then
    log "starting PostgreSQL $ver/$cluster on port $port"
    pg_ctlcluster "$ver" "$cluster" start >&2
  fi
  as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi; }
  for _ in $(seq 50); do as_postgres psql -p "$port" -Atqc 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  if [ "$(as_postgres psql -p "$port" -Atqc "select count(*) from pg_roles where rolname = 'meetd_test'")" != 1 ]; then
    as_postgres psql -p "$port" -qc "create role meetd_test login createdb password 'meetd_test'" >/dev/null
  fi
  echo "export MEETD_TEST_DATABASE_URL='postgres://meetd_test:meetd_test@127.0.0.1:$port/postgres?sslmode=disable'"
else
  log "PostgreSQL is not installed (Debian package postgresql)"
fi

if command -v redis-server >/dev/null 2>&1; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no --databases 64 \
      --logfile /tmp/meetd-test-redis.log >/dev/null
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export MEETD_TEST_REDIS_URL='redis://127.0.0.1:6379'"
else
  log "Redis is not installed (Debian package redis-server)"
fi
