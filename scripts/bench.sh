#!/usr/bin/env bash
# Seeds a large organization, serves it, and measures it: see BENCHMARKS.md.
#
#   scripts/bench.sh sqlite      # a fresh SQLite file under $BENCH_DIR
#   scripts/bench.sh postgres    # a fresh database $PG_DB on $PG_SERVER
#
# Environment (defaults in brackets):
#   MEMBERS [1000000]  members of the large organization `big`
#   SMALL_ORGS [100]   small organizations `small-N` ...
#   SMALL_MEMBERS [50] ... of this many members each
#   PORT [18480]       loopback port the server listens on
#   BENCH_DIR [/tmp/roster-bench]  where the SQLite file and results go
#   PG_SERVER [postgres://postgres@127.0.0.1:5432]  PG_DB [roster_bench]
#   REUSE=1            keep an existing seeded database (skip seeding)
#   BENCH_ARGS         extra arguments to `roster-bench run` (e.g. "--runs 5")
#   CARGO_TARGET_DIR   where cargo builds (default: the workspace's target/)
set -euo pipefail

backend=${1:-sqlite}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
members=${MEMBERS:-1000000}
small_orgs=${SMALL_ORGS:-100}
small_members=${SMALL_MEMBERS:-50}
port=${PORT:-18480}
dir=${BENCH_DIR:-/tmp/roster-bench}
pg_server=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
pg_db=${PG_DB:-roster_bench}
password=bench-password-0123
mkdir -p "$dir"

(cd "$root" && CARGO_TARGET_DIR=$target cargo build --release -p roster-cli -p roster-bench)
roster=$target/release/roster
bench=$target/release/roster-bench

case $backend in
sqlite)
    url=$dir/roster-bench.db
    if [[ ${REUSE:-0} != 1 ]]; then rm -f "$url" "$url-wal" "$url-shm"; fi
    ;;
postgres)
    url=$pg_server/$pg_db
    if [[ ${REUSE:-0} != 1 ]]; then
        psql "$pg_server/postgres" -q -c "DROP DATABASE IF EXISTS $pg_db" -c "CREATE DATABASE $pg_db"
    fi
    ;;
*)
    echo "usage: $0 sqlite|postgres" >&2
    exit 2
    ;;
esac

results=$dir/results-$backend.md
{
    echo "## $backend — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -h | awk '/^Mem:/ {print $2}') RAM; git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') (plus uncommitted changes, if any)."
    echo
} >"$results"

if [[ ${REUSE:-0} != 1 ]]; then
    # Seeding: the figure is the wall time of the whole command (migrations included).
    start=$(date +%s.%N)
    "$roster" --database-url "$url" dev seed --org big --members "$members" 2>"$dir/seed-$backend.log"
    end=$(date +%s.%N)
    seed_s=$(echo "$end - $start" | bc)
    start=$(date +%s.%N)
    for i in $(seq 1 "$small_orgs"); do
        "$roster" --database-url "$url" dev seed --org "small-$i" --members "$small_members" --seed "$i" >/dev/null 2>>"$dir/seed-$backend.log"
    done
    end=$(date +%s.%N)
    small_s=$(echo "$end - $start" | bc)
    "$bench" set-password --database-url "$url" --email owner@big.example --password "$password"
    if [[ $backend == postgres ]]; then
        # A bulk load leaves no statistics until autovacuum's ANALYZE runs; run it now
        # rather than measure whatever moment autovacuum happens to be at.
        psql "$url" -q -c "ANALYZE"
    fi
    {
        echo "### Seeding ($backend)"
        echo
        echo "| figure | value | goal | ratio |"
        echo "| --- | --- | --- | --- |"
        printf '| `roster dev seed --org big --members %s` (wall, one run) | %.1f s | < 60 s | %.2f |\n' "$members" "$seed_s" "$(echo "$seed_s / 60" | bc -l)"
        printf '| %s × `dev seed --org small-N --members %s` (wall, total) | %.1f s | — | — |\n' "$small_orgs" "$small_members" "$small_s"
        if [[ $backend == sqlite ]]; then
            printf '| database file size (after seeding) | %s | — | — |\n' "$(du -sh "$url" | cut -f1)"
        else
            printf '| database size (after seeding) | %s | — | — |\n' "$(psql "$url" -tAc 'SELECT pg_size_pretty(pg_database_size(current_database()))')"
        fi
        echo
    } >>"$results"
fi

"$bench" run --roster "$roster" --database-url "$url" --port "$port" --password "$password" --label "$backend" ${BENCH_ARGS:-} >>"$results"
cat "$results"
