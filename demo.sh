#!/usr/bin/env bash
# The main job: upgrade a (simulated) Indico 3.x server with the stock plan plans/indico-3x.toml.
#
# Installs what is missing and builds ordo (unless ORDO_BIN names a built binary), starts the
# simulated Indico host of examples/sandbox — a real PostgreSQL, uWSGI and Celery stand-ins as
# real processes, Indico 3.3.10 installed, 3.3.12 available — with one uWSGI worker sitting
# "idle in transaction" on the events table, so the schema migration will hang on its lock as
# it does on a busy production server. Then ordo runs the stock plan against it: only --vars
# differ from a real server. Finally it prints where the journal, logs, graph and report are,
# and tears the host down.
set -euo pipefail
cd "$(dirname "$0")"

if [ -z "${ORDO_BIN:-}" ]; then
  source ./deps.sh
  ordo_install_deps
  echo "Building ordo (first time: about a minute)..." >&2
  ordo_build build
  ORDO_BIN=$PWD/build/engine/cli/ordo
fi
ordo=$ORDO_BIN
sandbox=$PWD/examples/sandbox/ordo-sandbox

host=$(mktemp -d /tmp/ordo-demo-host.XXXXXX)
out=$(mktemp -d /tmp/ordo-demo.XXXXXX)
teardown() { "$sandbox" down "$host" >/dev/null 2>&1 || true; }
trap teardown EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

say "Starting a simulated Indico 3.3.10 host in $host"
"$sandbox" up "$host" --hold-lock
"$sandbox" env "$host" >"$out/vars.toml"
echo "uWSGI worker 1 now holds a lock on the events table (idle in transaction)."
echo "Variables for this host (everything else is the plan's defaults for a real server):"
sed 's/^/  /' "$out/vars.toml" | grep -v '^  #'

say "ordo check plans/indico-3x.toml"
"$ordo" check plans/indico-3x.toml

say "ordo run plans/indico-3x.toml --vars vars.toml -j 2"
set +e
PATH="$host/bin:$PATH" "$ordo" run plans/indico-3x.toml --vars "$out/vars.toml" \
  --state-dir "$out/state" --events "$out/events.jsonl" -j 2
rc=$?
set -e

say "What the host looks like now"
echo "alembic_version: $("$sandbox" psql "$host" -XAtqc 'SELECT version_num FROM alembic_version')"
echo "celery reports version: $("$sandbox" psql "$host" -XAtqc \
  "SELECT value #>> '{}' FROM indico.settings WHERE module = 'celery' AND name = 'last_ping_version'")"
for u in indico-uwsgi.service indico-celery.service; do
  echo "$u: $("$host/bin/systemctl" is-active "$u")"
done

"$ordo" graph plans/indico-3x.toml --vars "$out/vars.toml" --format svg -o "$out/indico-3x.svg" \
  2>/dev/null || true
run_dir=$(ls -d "$out"/state/indico-3x/runs/* 2>/dev/null | tail -n 1)
say "Where to look"
echo "  step logs and journal: $run_dir"
echo "  event stream:          $out/events.jsonl"
[ -f "$out/indico-3x.svg" ] && echo "  plan graph (SVG):      $out/indico-3x.svg"
echo "  (the simulated host is torn down now; these files stay)"
exit $rc
