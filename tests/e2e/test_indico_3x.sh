#!/usr/bin/env bash
# End to end: plans/indico-3x.toml run by the real `ordo` binary against the simulated Indico
# host (examples/sandbox), one fresh host per case. Only --vars/--set/--fact differ from a
# real server. Each case asserts outcomes from the event stream and the host's real state
# (PostgreSQL, processes). Usage: test_indico_3x.sh [CASE...]; ends with "ordo-test: N passed,
# M failed".
set -uo pipefail
root=${ORDO_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ordo=${ORDO_BIN:-$root/build/engine/cli/ordo}
sbx=$root/examples/sandbox/ordo-sandbox
cd "$root" || exit 1
# shellcheck source=e2e_lib.sh
. "$root/tests/e2e/e2e_lib.sh"

ROOT= STATE=

host_up() {
  ROOT=$(mktemp -d /tmp/oe2e.XXXXXX)
  STATE=$(mktemp -d /tmp/oe2e-state.XXXXXX)
  "$sbx" up "$ROOT" "$@" >"$STATE/sandbox-up.txt" 2>&1 || { cat "$STATE/sandbox-up.txt"; return 1; }
  "$sbx" env "$ROOT" >"$STATE/vars.toml"
}
host_down() {
  [ -n "$ROOT" ] && "$sbx" down "$ROOT" >/dev/null 2>&1
  [ -n "$STATE" ] && { [ "$CASE_OK" = 1 ] && rm -rf "$STATE" || echo "    (kept $STATE)"; }
  ROOT= STATE=
}
run_plan() {  # run_plan [ordo args...]: runs the plan, $RC is its exit code
  PATH="$ROOT/bin:$PATH" "$ordo" run plans/indico-3x.toml --vars "$STATE/vars.toml" \
    --state-dir "$STATE/st" --events "$STATE/events.jsonl" -j 2 --no-color --yes "$@" \
    >"$STATE/out.txt" 2>&1
  RC=$?
}

resume_plan() {  # resume_plan [ordo args...]: resumes the last run; new events and output
  PATH="$ROOT/bin:$PATH" "$ordo" resume plans/indico-3x.toml --state-dir "$STATE/st" \
    --events "$STATE/events.jsonl" -j 2 --no-color --yes "$@" >"$STATE/out.txt" 2>&1
  RC=$?
}
ordo_status() { "$ordo" status plans/indico-3x.toml --state-dir "$STATE/st" --no-color >"$STATE/status.txt" 2>&1; }
# The Celery worker that runs now started after the last db-upgrade ended (seconds).
celery_started_after_migration() {
  local started ended
  started=$(cat "$ROOT/run/systemd/indico-celery.service.since" 2>/dev/null) || return 1
  ended=$(stat -c %Y "$STATE/st"/indico-3x/runs/*/steps/db-upgrade.log) || return 1
  [ "$started" -ge "$ended" ]
}

case_lock_rescued() {
  # uWSGI holds a lock the migration needs: the watchdog fires, uWSGI is restarted, the
  # migration completes, and the touch-reload is skipped because the restart already happened.
  host_up --hold-lock || return 1
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "watchdog fired" fired lock-wait-watchdog
  check "restart-uwsgi ran" finished restart-uwsgi succeeded
  check "db-upgrade succeeded" finished db-upgrade succeeded
  check "reload-uwsgi skipped by its condition" skipped reload-uwsgi not_applicable
  check "schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 0b5c8d3e2a79 ]
  check "events.label column exists" [ "$(psql_sbx "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'label'")" = 1 ]
  check "celery active" unit_active indico-celery.service
  check "uwsgi active" unit_active indico-uwsgi.service
  check "celery runs the new version" [ "$(psql_sbx "SELECT value #>> '{}' FROM indico.settings WHERE module = 'celery' AND name = 'last_ping_version'")" = 3.3.12 ]
  check "backup written and verified" finished backup-db succeeded
  check "backup file exists" compgen -G "$ROOT/backup/indico-*.dump" >/dev/null
  check "summary names the firing" output_has "fired lock-wait-watchdog"
  check "ordo status shows the firing" bash -c "'$ordo' status plans/indico-3x.toml --state-dir '$STATE/st' | grep -q 'fired 1×: ordo-db-upgrade (pid '"
}

case_no_lock_reloads() {
  # No lock: the watchdog never fires, so uWSGI is reloaded by touching indico.wsgi.
  host_up || return 1
  local before; before=$(stat -c %Y "$ROOT/opt/indico/web/indico.wsgi")
  sleep 1
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "watchdog did not fire" bash -c "! grep -q '\"t\":\"watcher_fired\"' '$STATE/events.jsonl'"
  check "restart-uwsgi not triggered" skipped restart-uwsgi not_applicable
  check "reload-uwsgi ran" finished reload-uwsgi succeeded
  check "indico.wsgi touched" [ "$(stat -c %Y "$ROOT/opt/indico/web/indico.wsgi")" -gt "$before" ]
  check "plugins upgraded" finished pip-plugins succeeded
  check "plugin schema upgraded" finished db-upgrade-plugins succeeded
}

case_pip_failure_restores_celery() {
  # pip fails: nothing changed (old code, old schema), so Celery is started again; the run
  # fails with pip-indico named as the root cause; nothing after it runs.
  host_up --fail pip || return 1
  run_plan
  check "exit 1" [ "$RC" = 1 ]
  check "pip-indico failed" finished pip-indico failed
  check "root cause named" grep -qE '"root_causes":\["pip-indico"\]' "$STATE/events.jsonl"
  check "restore-celery ran" finished restore-celery succeeded
  check "celery active again" unit_active indico-celery.service
  check "db-upgrade never started" never_started db-upgrade
  check "schema untouched" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 2f6b9e0c4d15 ]
  check "summary names the root cause" output_has "root cause: pip-indico"
  # Fix the fault and resume: the steps that succeeded are kept, pip and everything after it
  # run, and the host ends upgraded with Celery on the new code.
  "$sbx" fault "$ROOT" clear fail-pip
  resume_plan
  check "resume exit 0" [ "$RC" = 0 ]
  check "resume succeeded" outcome succeeded
  check "resume kept the backup and the stop" grep -q 'keeping 4 steps done earlier: preflight backup-dir backup-db stop-celery' "$STATE/out.txt"
  check "stop-celery not run again" never_started stop-celery
  check "backup not run again" never_started backup-db
  check "pip-indico ran again and succeeded" finished pip-indico succeeded
  check "celery stopped again before the migration" finished ready-to-migrate succeeded
  check "db-upgrade ran" finished db-upgrade succeeded
  check "schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 0b5c8d3e2a79 ]
  check "plugin schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version_plugin_livesync')" = 02a78555cdcb ]
  check "celery active" unit_active indico-celery.service
  check "celery runs the new version" [ "$(celery_version)" = 3.3.12 ]
  check "celery started only after the migration" celery_started_after_migration
  check "one backup only" [ "$(compgen -G "$ROOT/backup/indico-*.dump" | wc -l)" = 1 ]
  ordo_status
  check "status: finished, succeeded" grep -q ': finished, succeeded' "$STATE/status.txt"
  check "status: resumed once" grep -q 'resumed 1 time' "$STATE/status.txt"
  check "status: pip-indico succeeded on attempt 2" grep -qE '^pip-indico +succeeded +2 ' "$STATE/status.txt"
  check "status: stop-celery kept (1 attempt)" grep -qE '^stop-celery +succeeded +1 ' "$STATE/status.txt"
  check "status: restore-celery says it ran before the resume" grep -q "before the resume it ran (1 attempt, succeeded)" "$STATE/status.txt"
}

case_migration_failure_rolls_back() {
  # The newest migration fails: alembic rolls back everything; nothing after it runs; Celery
  # stays stopped (new code, old schema).
  host_up --fail migration || return 1
  run_plan
  check "exit 1" [ "$RC" = 1 ]
  check "db-upgrade failed" finished db-upgrade failed
  check "schema unchanged (rolled back)" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 2f6b9e0c4d15 ]
  check "no label column (rolled back)" [ "$(psql_sbx "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'label'")" = 0 ]
  check "start-celery not run" never_started start-celery
  check "restore-celery not needed" skipped restore-celery not_applicable
  check "celery stays stopped" bash -c "! '$ROOT/bin/systemctl' is-active --quiet indico-celery.service"
  check "reload-uwsgi not run" never_started reload-uwsgi
  # Fix the fault and resume: the migration runs again and the upgrade completes.
  "$sbx" fault "$ROOT" clear fail-migration
  resume_plan
  check "resume exit 0" [ "$RC" = 0 ]
  check "resume succeeded" outcome succeeded
  check "pip not run again" never_started pip-indico
  check "db-upgrade ran again and succeeded" finished db-upgrade succeeded
  check "schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 0b5c8d3e2a79 ]
  check "celery active on the new version" [ "$(celery_version)" = 3.3.12 ]
  check "celery started only after the migration" celery_started_after_migration
  ordo_status
  check "status: finished, succeeded" grep -q ': finished, succeeded' "$STATE/status.txt"
  check "status: db-upgrade succeeded on attempt 2" grep -qE '^db-upgrade +succeeded +2 ' "$STATE/status.txt"
}

case_no_plugins() {
  # No indico-plugins installed: the plugin steps are skipped with their reason.
  host_up --no-plugins || return 1
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "pip-plugins skipped (condition)" skipped pip-plugins not_applicable
  check "db-upgrade-plugins skipped (condition)" skipped db-upgrade-plugins not_applicable
  check "db-upgrade still ran" finished db-upgrade succeeded
  check "reason shows the condition" grep -qE '"step":"pip-plugins","kind":"not_applicable","reason":"condition false' "$STATE/events.jsonl"
}

case_el_host() {
  # An EL host: pip runs with PostgreSQL's bin dir on PATH, or building psycopg2 fails.
  host_up --el-host || return 1
  run_plan --fact os_family=rhel
  check "exit 0" [ "$RC" = 0 ]
  check "pip-indico-el ran" finished pip-indico-el succeeded
  check "pip-indico skipped" skipped pip-indico not_applicable
  check "version upgraded" [ "$(psql_sbx "SELECT value #>> '{}' FROM indico.settings WHERE module = 'celery' AND name = 'last_ping_version'")" = 3.3.12 ]
}

# --- a real server's database (ordo-sandbox up --peer) ----------------------------------------
# The indico database is owned by a non-superuser role named like the indico user and the
# socket admits only that OS user to it (peer); db_dsn is empty, so the plan reads
# SQLALCHEMY_DATABASE_URI (postgresql:///indico?host=...) from indico.conf. Every database
# client of the plan must therefore run as ${indico_user}: preflight's psql, pg_dump, the
# migrations and the lock-watchdog.

sbx_env() { sed -n "s/^$1=//p" "$ROOT/sandbox.env"; }
indico_uri() { echo "postgresql:///indico?host=$ROOT/s&port=$(sbx_env SBX_PORT)"; }
# psql over the socket to the indico database as ROLE, run by this process (root): its output.
socket_as_root() { psql "host=$ROOT/s port=$(sbx_env SBX_PORT) user=$1 dbname=indico" -XAtqc 'SELECT 1' 2>&1; }
# Tables, sequences and indexes of the Indico schemas that the indico role does not own.
not_owned_by() {
  psql_sbx "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('public', 'indico', 'plugin_livesync') AND pg_get_userbyid(c.relowner) <> '$1'"
}
no_watchdog_warning() { ! grep -q 'lock-watchdog: database unreachable' "$STATE/events.jsonl" "$STATE/out.txt"; }
step_log_has() { grep -qF -- "$2" "$STATE"/st/indico-3x/runs/*/steps/"$1".log; }

case_peer_upgrade() {
  # The happy path against a real server's database: the upgrade completes, the backup is
  # written by the indico user, and the schema stays owned by the indico role.
  host_up --peer || return 1
  local u; u=$(sbx_env SBX_USER)
  check "vars leave db_dsn empty" grep -qx 'db_dsn = ""' "$STATE/vars.toml"
  check "the indico role is no superuser" [ "$(psql_sbx "SELECT rolsuper FROM pg_roles WHERE rolname = '$u'")" = f ]
  check "the indico role owns the database" [ "$(psql_sbx "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'indico'")" = "$u" ]
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "preflight read the URI from indico.conf" step_log_has preflight "database URI from $ROOT/opt/indico/etc/indico.conf"
  check "preflight's DSN is indico.conf's" step_log_has preflight "dsn=$(indico_uri)"
  check "backup-db succeeded" finished backup-db succeeded
  local dump; dump=$(compgen -G "$ROOT/backup/indico-*.dump" | head -n1)
  check "backup file exists" [ -n "$dump" ]
  check "backup made by the indico user" [ "$(stat -c %U "$dump" 2>/dev/null)" = "$u" ]
  check "backup dir owned by the indico user, 0700" [ "$(stat -c %U:%a "$ROOT/backup")" = "$u:700" ]
  check "backup holds the events table" bash -c "pg_restore --list '$dump' | grep -q 'TABLE public events'"
  check "watchdog reached the database" no_watchdog_warning
  check "watchdog did not fire" bash -c "! grep -q '\"t\":\"watcher_fired\"' '$STATE/events.jsonl'"
  check "reload-uwsgi ran" finished reload-uwsgi succeeded
  check "schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 0b5c8d3e2a79 ]
  check "plugin schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version_plugin_livesync')" = 02a78555cdcb ]
  check "events.label column exists" [ "$(psql_sbx "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'label'")" = 1 ]
  check "everything still owned by the indico role" [ "$(not_owned_by "$u")" = 0 ]
  check "celery active" unit_active indico-celery.service
  check "uwsgi active" unit_active indico-uwsgi.service
  check "celery runs the new version" [ "$(celery_version)" = 3.3.12 ]
  check "verify-schema passed" finished verify-schema succeeded
  check "uWSGI's sessions are the indico role's" [ "$(psql_sbx "SELECT count(*) > 0 AND bool_and(usename = '$u') FROM pg_stat_activity WHERE application_name = 'uwsgi'")" = t ]
}

case_peer_lock_rescued() {
  # The lock case on a real server's database: uWSGI's worker (the indico role) holds the lock;
  # the watchdog, connected as the same non-superuser role, sees the waiting migration and the
  # blocker with its query, fires, uWSGI is restarted, the migration completes, no touch-reload.
  host_up --peer --hold-lock || return 1
  local u; u=$(sbx_env SBX_USER)
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "watchdog fired" fired lock-wait-watchdog
  check "firing names uWSGI's session, of the indico role" grep -qE '"t":"watcher_fired",.*"blockers":\[\{"pid":[0-9]+,"application_name":"uwsgi","state":"idle in transaction",[^}]*"query":"SELECT id, title FROM events ORDER BY id LIMIT 1;","usename":"'"$u"'"' "$STATE/events.jsonl"
  check "no hidden query text" bash -c "! grep -q 'insufficient privilege' '$STATE/events.jsonl'"
  check "restart-uwsgi ran" finished restart-uwsgi succeeded
  check "db-upgrade succeeded" finished db-upgrade succeeded
  check "reload-uwsgi skipped by its condition" skipped reload-uwsgi not_applicable
  check "schema at head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 0b5c8d3e2a79 ]
  check "everything still owned by the indico role" [ "$(not_owned_by "$u")" = 0 ]
  check "celery active" unit_active indico-celery.service
  check "uwsgi active" unit_active indico-uwsgi.service
  check "celery runs the new version" [ "$(celery_version)" = 3.3.12 ]
  check "backup made by the indico user" [ "$(stat -c %U "$(compgen -G "$ROOT/backup/indico-*.dump" | head -n1)" 2>/dev/null)" = "$u" ]
  check "summary names the firing" output_has "fired lock-wait-watchdog"
}

case_peer_refuses_others() {
  # Peer authentication is really on: what trust authentication would let through fails here.
  host_up --peer || return 1
  local u; u=$(sbx_env SBX_USER)
  check "socket refuses role postgres" bash -c "psql 'host=$ROOT/s port=$(sbx_env SBX_PORT) user=postgres dbname=indico' -XAtqc 'SELECT 1' 2>&1 | grep -q 'Peer authentication failed for user \"postgres\"'"
  check "socket refuses root as the indico role" bash -c "[[ \$(psql 'host=$ROOT/s port=$(sbx_env SBX_PORT) user=$u dbname=indico' -XAtqc 'SELECT 1' 2>&1) == *'Peer authentication failed for user \"$u\"'* ]]"
  check "TCP refuses the indico role" bash -c "psql 'host=127.0.0.1 port=$(sbx_env SBX_PORT) user=$u dbname=indico' -XAtqc 'SELECT 1' 2>&1 | grep -q 'rejects connection'"
  check "the indico user gets in as its role" [ "$(cd / && runuser -u "$u" -- psql "$(indico_uri)" -XAtqc 'SELECT current_user')" = "$u" ]
  # The stock plan with backup-db's `user` line removed, and db_dsn naming the indico role:
  # under trust authentication root could connect as that role and the run would succeed; with
  # peer, pg_dump (as root) is refused, the run stops before anything changed.
  cp -r plans "$STATE/plans"
  sed -i '/^\[steps\.backup-db\]/,/^requires/{/^user = /d}' "$STATE/plans/fragments/indico-backup.toml"
  check "the copy's backup-db has no user" bash -c "! sed -n '/^\[steps\.backup-db\]/,/^requires/p' '$STATE/plans/fragments/indico-backup.toml' | grep -q '^user'"
  PATH="$ROOT/bin:$PATH" "$ordo" run "$STATE/plans/indico-3x.toml" --vars "$STATE/vars.toml" \
    --set "db_dsn=postgresql://$u@/indico?host=$ROOT/s&port=$(sbx_env SBX_PORT)" \
    --state-dir "$STATE/st" --events "$STATE/events.jsonl" -j 2 --no-color --yes >"$STATE/out.txt" 2>&1
  RC=$?
  check "exit 1" [ "$RC" = 1 ]
  check "preflight passed (it runs psql as the indico user)" finished preflight succeeded
  check "backup-db failed" finished backup-db failed
  check "pg_dump was refused by peer authentication" step_log_has backup-db "Peer authentication failed for user \"$u\""
  check "root cause named" grep -qE '"root_causes":\["backup-db"\]' "$STATE/events.jsonl"
  check "stop-celery never started" never_started stop-celery
  check "celery still active" unit_active indico-celery.service
  check "schema untouched" [ "$(psql_sbx 'SELECT version_num FROM alembic_version')" = 2f6b9e0c4d15 ]
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(lock_rescued no_lock_reloads pip_failure_restores_celery
  migration_failure_rolls_back no_plugins el_host peer_upgrade peer_lock_rescued peer_refuses_others)
run_cases "${cases[@]}"
