#!/usr/bin/env bash
# Runs the whole ordo test suite on a fresh Debian bookworm machine (as root): installs what is
# missing, starts a throwaway PostgreSQL for the database tests, builds with -Werror, runs
# `meson test`, then (full suite only) builds the plan-loader fuzz target with clang and fuzzes it
# for 60 s (tests/fuzz/README.md; ORDO_FUZZ=0 skips it, ORDO_FUZZ=1 forces it), and ends with one
# line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
source ./deps.sh
ordo_install_deps

# A throwaway PostgreSQL: own data and socket dir under /tmp, random loopback port, stopped on
# exit. initdb and pg_ctl refuse root, so they run as `postgres` then.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGROOT=$(mktemp -d /tmp/ordo-pg.XXXXXX)
RUNAS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres: "$PGROOT"
  RUNAS=(runuser -u postgres --)
fi
# The postgres user cannot enter a private checkout: run its commands from /.
pg_as() { (cd / && "${RUNAS[@]}" "$@"); }
cleanup() {
  pg_as "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT
pg_as "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C \
  --no-sync >/dev/null
# Database ordo_peer uses peer authentication on the socket (the run-as tests connect as an OS
# user); its socket dir must be searchable by that user. Everything else keeps trust.
pg_as sed -i '1i local ordo_peer all peer' "$PGROOT/data/pg_hba.conf"
chmod 711 "$PGROOT"
for try in 1 2 3 4 5; do
  TEST_PGPORT=$((20000 + RANDOM % 20000))
  if pg_as "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
    -o "-k $PGROOT -p $TEST_PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null; then
    break
  fi
  [ $try = 5 ] && { cat "$PGROOT/server.log"; exit 1; }
done
export TEST_PGHOST=$PGROOT TEST_PGPORT

BUILD=${ORDO_TEST_BUILD:-build-test}
ordo_build "$BUILD" -Dwerror=true
set +e
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
rc=$?
# The fuzz target: its own build dir (clang, sanitizers; only the engine, the executors and the
# target are built), 60 s on one core; a crash, leak, UB report or hang fails the suite.
fuzz_log=$BUILD/meson-logs/fuzz.txt
: >"$fuzz_log"
if [ "${ORDO_FUZZ:-}" = 1 ] || { [ "${ORDO_FUZZ:-}" != 0 ] && [ $# = 0 ]; }; then
  FUZZ_BUILD=${ORDO_FUZZ_BUILD:-build-fuzz}
  echo "fuzz: building $FUZZ_BUILD/tests/fuzz/ordo-fuzz-plan and fuzzing it for 60 s..."
  if { [ -f "$FUZZ_BUILD/build.ninja" ] ||
    meson setup "$FUZZ_BUILD" --native-file tests/fuzz/clang.ini -Dfuzz=true \
      --buildtype=debugoptimized; } >>"$fuzz_log" 2>&1 &&
    ninja -C "$FUZZ_BUILD" tests/fuzz/ordo-fuzz-plan >>"$fuzz_log" 2>&1; then
    tests/fuzz/run_fuzz.sh "$FUZZ_BUILD" 60 >>"$fuzz_log" 2>&1 || rc=1
  else
    echo "ordo-test: 0 passed, 1 failed (the fuzz target did not build)" >>"$fuzz_log"
    rc=1
  fi
  grep -E '^(fuzz:|ordo-test:|==[0-9]+==ERROR|SUMMARY:)' "$fuzz_log" || true
fi
set -e
# The LAST line is the plain closing line CI reads: doctest case counts, plus the
# "ordo-test: N passed, M failed" lines of the script tests; meson's failure count is a floor
# (a crashed or timed-out test prints no summary of its own).
awk '/^\[doctest\] test cases:/ { gsub(/\|/, " "); p += $5; f += $7 }
     /^ordo-test: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
     /^(Fail|Timeout|Unexpected Pass):/ { m += $NF }
     END { if (m > f) f = m; printf "%d passed, %d failed\n", p, f }' "$BUILD/meson-logs/testlog.txt" \
  "$fuzz_log"
exit $rc
