#!/usr/bin/env bash
# Runs every check and test Roster has, installing and starting what they
# need on a fresh Debian machine: PostgreSQL and Debian's Chromium with its
# driver. With CI=true nothing may be skipped: a missing database or browser
# fails the run.
#
#   bash scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

log() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
need_pkg() {
  # Installs Debian packages that are missing.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- Browser: Debian's Chromium and ChromeDriver, never a downloaded one.
# The color emoji font renders the permission marks (✍️ 🧐 ❌) in screenshots.
need_pkg chromium chromium-driver fonts-noto-color-emoji
# --- Mail: a real SMTP server on 127.0.0.1 for the outbox tests (Debian's aiosmtpd).
need_pkg python3-aiosmtpd

# --- PostgreSQL: use the server at 127.0.0.1:5432 when it answers with
# trust auth; otherwise start a private one on port 54329.
pg_ok() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }
PG_URL="${ROSTER_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! command -v psql >/dev/null 2>&1; then need_pkg postgresql-client; fi
if ! pg_ok "$PG_URL"; then
  # A cluster installed by the machine but stopped: start it.
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql/*/main >/dev/null 2>&1; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
    sleep 2
  fi
fi
if ! pg_ok "$PG_URL"; then
  need_pkg postgresql
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  PG_DIR=/tmp/roster-ci-pg
  PG_URL="postgres://postgres@127.0.0.1:54329/postgres"
  if ! pg_ok "$PG_URL"; then
    log "starting a private PostgreSQL on 127.0.0.1:54329"
    as_root rm -rf "$PG_DIR"; as_root mkdir -p "$PG_DIR"; as_root chown postgres:postgres "$PG_DIR"
    as_root runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust >/dev/null
    as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
      -o "-p 54329 -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  fi
fi
if ! pg_ok "$PG_URL"; then
  echo "PostgreSQL is not reachable at $PG_URL" >&2
  exit 1
fi
export ROSTER_TEST_PG_URL="$PG_URL"
log "PostgreSQL at $PG_URL"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "tests on SQLite (unit, integration, browser)"
ROSTER_TEST_DB=sqlite cargo test --workspace --locked

# The import readers' short fuzz run: the fuzz targets' seed files, mutated
# a few thousand times each, must never panic or stall (cargo-fuzz itself
# needs a nightly toolchain, which CI cannot download; see fuzz/README.md).
log "import readers: mutated files"
cargo test -p roster-domain --lib --locked mutated_files -- --ignored

log "integration and browser tests on PostgreSQL"
ROSTER_TEST_DB=postgres cargo test --locked -p roster-web --test api
# The store's own tests that read answers (SCIM filters held to their Rust
# evaluation, the members' ways of reading) on the second backend too.
ROSTER_TEST_DB=postgres cargo test --locked -p roster-store --lib
ROSTER_TEST_DB=postgres cargo test --locked -p roster-browser-tests

log "all checks passed"
