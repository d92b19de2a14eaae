#!/usr/bin/env bash
# End to end: the two stock 2.x -> 3.x plans run by the real `ordo` binary against the simulated
# Indico hosts of examples/sandbox, one fresh host per case:
#   inplace_*  plans/indico-2x-to-3x-inplace.toml on a 2.x host (ordo-sandbox up --v2)
#   fresh_*    plans/indico-2x-to-3x.toml on a fresh 3.x server (ordo-sandbox up --fresh), with
#              the old server's real dump, config and archive in ROOT/transfer
#   *_peer_*   the same against a real server's database (up --v2 --peer, up --fresh --peer)
# Only --vars/--fact differ from a real server; confirm gates are answered with --yes. Each case
# asserts outcomes from the event stream and the host's real state (PostgreSQL, files with
# owner/group/mode, processes). Usage: test_indico_2x.sh [CASE...] (default: all); ends with
# "ordo-test: N passed, M failed".
set -uo pipefail
root=${ORDO_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ordo=${ORDO_BIN:-$root/build/engine/cli/ordo}
sbx=$root/examples/sandbox/ordo-sandbox
cd "$root" || exit 1
# shellcheck source=e2e_lib.sh
. "$root/tests/e2e/e2e_lib.sh"

ROOT= STATE= PLAN= EV=
HEAD_2X=3b0d9e6a1c47 HEAD_3X=0b5c8d3e2a79 LIVESYNC_HEAD=02a78555cdcb

skip_reason() { grep -qE "\"t\":\"step_skipped\",[^{]*\"step\":\"$1\",\"kind\":\"[a-z_]+\",\"reason\":\"$2" "$EV"; }
not_fired() { ! grep -q '"t":"watcher_fired"' "$EV"; }
root_cause() { grep -qE "\"root_causes\":\[\"$1\"\]" "$EV"; }
# before A B: step A finished before step B started (line order of the event stream).
before() {
  local a b
  a=$(grep -nE "\"t\":\"step_finished\",[^{]*\"step\":\"$1\"" "$EV" | head -n1 | cut -d: -f1)
  b=$(grep -nE "\"t\":\"step_started\",[^{]*\"step\":\"$2\"" "$EV" | head -n1 | cut -d: -f1)
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
alembic() { psql_sbx 'SELECT version_num FROM alembic_version'; }
unit_inactive() { [ "$("$ROOT/bin/systemctl" is-active "$1")" != active ]; }
unit_unknown() { "$ROOT/bin/systemctl" status "$1" >/dev/null 2>&1; [ $? = 4 ]; }
step_log_has() { grep -qF -- "$2" "$STATE"/st/*/runs/*/steps/"$1".log; }
mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %U:%G "$1"; }
sbx_user() { sed -n 's/^indico_user = "\(.*\)"$/\1/p' "$STATE/vars.toml"; }
ordo_status() { "$ordo" status "$PLAN" --state-dir "$STATE/st" --no-color >"$STATE/status.txt" 2>&1; }

host_up() {  # host_up v2|fresh [faults...]
  local mode=$1
  shift
  ROOT=$(mktemp -d /tmp/oe2x.XXXXXX)
  STATE=$(mktemp -d /tmp/oe2x-state.XXXXXX)
  EV=$STATE/events.jsonl
  "$sbx" up "$ROOT" "--$mode" "$@" >"$STATE/sandbox-up.txt" 2>&1 || { cat "$STATE/sandbox-up.txt"; return 1; }
  "$sbx" env "$ROOT" >"$STATE/vars.toml"
  if [ "$mode" = v2 ]; then PLAN=plans/indico-2x-to-3x-inplace.toml; else PLAN=plans/indico-2x-to-3x.toml; fi
}
host_down() {
  [ -n "$ROOT" ] && "$sbx" down "$ROOT" >/dev/null 2>&1
  [ -n "$STATE" ] && { [ "$CASE_OK" = 1 ] && rm -rf "$STATE" || echo "    (kept $STATE)"; }
  ROOT= STATE=
}
run_plan() {  # run_plan [ordo args...]: runs the plan, $RC is its exit code
  PATH="$ROOT/bin:$PATH" "$ordo" run "$PLAN" --vars "$STATE/vars.toml" \
    --state-dir "$STATE/st" --events "$EV" -j 2 --no-color ${YES-"--yes"} "$@" >"$STATE/out.txt" 2>&1 </dev/null
  RC=$?
}
resume_plan() {  # resume_plan [ordo args...]: the resumed part's events go to events-resume.jsonl
  EV=$STATE/events-resume.jsonl
  PATH="$ROOT/bin:$PATH" "$ordo" resume "$PLAN" --state-dir "$STATE/st" --events "$EV" -j 2 \
    --no-color --yes "$@" >"$STATE/out.txt" 2>&1
  RC=$?
}

# --- what the in-place and fresh variants of a case both assert -------------------------------

upgraded_to_3x() {  # the run succeeded; core and livesync schemas are at their 3.x heads
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "livesync schema at its 3.x head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version_plugin_livesync')" = $LIVESYNC_HEAD ]
}
on_3x() {  # the schema is at the 3.x head and Celery runs 3.3.12
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "celery active on 3.3.12" [ "$(celery_version)" = 3.3.12 ]
}
failed_at() {  # failed_at STEP: the run failed (exit 1) at STEP and names it as the root cause
  check "exit 1" [ "$RC" = 1 ]
  check "$1 failed" finished "$1" failed
  check "root cause named" root_cause "$1"
}
pip_failed_at() {  # pip_failed_at STEP: as failed_at, before any migration; the summary names it
  failed_at "$1"
  check "summary names the root cause" output_has "root cause: $1"
  check "db-upgrade never started" never_started db-upgrade
}
migration_failed() {  # the core migration failed and rolled back; nothing after it ran
  failed_at db-upgrade
  check "schema back at the 2.x head (rolled back)" [ "$(alembic)" = $HEAD_2X ]
  check "plugin migrations not run" never_started db-upgrade-plugins
  check "services not started" never_started start-services
  check "celery not running" unit_inactive indico-celery.service
}
resume_fixed() {  # resume_fixed FAULT: clears the sandbox fault; `ordo resume` then exits 0
  "$sbx" fault "$ROOT" clear "$1"
  resume_plan
  check "resume exit 0" [ "$RC" = 0 ]
}
pip_resumed() {  # pip_resumed STEP: after fail-pip is fixed, resume reruns STEP and finishes on 3.x
  resume_fixed fail-pip
  check "resume succeeded" outcome succeeded
  check "$1 ran again" finished "$1" succeeded
  on_3x
  ordo_status
  check "status: finished, succeeded" grep -q ': finished, succeeded' "$STATE/status.txt"
  check "status: $1 succeeded on attempt 2" grep -qE "^$1 +succeeded +2 " "$STATE/status.txt"
}
migration_resumed() {  # after fail-migration is fixed, resume reruns db-upgrade and finishes on 3.x
  resume_fixed fail-migration
  check "db-upgrade ran again and succeeded" finished db-upgrade succeeded
  on_3x
}
stray_session_ended() {  # the lock watchdog fired, ended the stray session, the upgrade went on
  check "exit 0" [ "$RC" = 0 ]
  check "watchdog fired" fired lock-wait-watchdog
  check "end-stray-sessions ran" finished end-stray-sessions succeeded
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "summary names the firing" output_has "fired lock-wait-watchdog"
}
plugins_skipped() {  # no plugins on the host: both plugin steps skipped, PLUGINS empty, on 3.x
  check "exit 0" [ "$RC" = 0 ]
  check "pip-plugins skipped (condition)" skip_reason pip-plugins "condition false"
  check "db-upgrade-plugins skipped (condition)" skip_reason db-upgrade-plugins "condition false"
  check "PLUGINS empty" grep -qx "PLUGINS = set()" "$ROOT/opt/indico/etc/indico.conf"
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
}
el_variant_ran() {  # el_variant_ran EL_STEP STEP: on EL, EL_STEP ran and the Debian STEP was skipped
  check "exit 0" [ "$RC" = 0 ]
  check "$1 ran" finished "$1" succeeded
  check "$2 skipped" skipped "$2" not_applicable
}

# --- in place (plans/indico-2x-to-3x-inplace.toml on a 2.x host) -----------------------------

case_inplace_happy() {
  host_up v2 || return 1
  local io=$ROOT/opt/indico user
  user=$(sbx_user)
  check "2.x host: distro uwsgi.service runs" unit_active uwsgi.service
  run_plan
  upgraded_to_3x
  check "data kept (3 events)" [ "$(psql_sbx 'SELECT count(*) FROM events')" = 3 ]
  check "2.x data migrated (no legacy settings left)" [ "$(psql_sbx "SELECT count(*) FROM indico.settings WHERE module = 'legacy'")" = 0 ]
  check "database backup written" compgen -G "$ROOT/backup/indico-*.dump" >/dev/null
  check "backup is a real custom-format dump of the 2.x schema" bash -c "pg_restore -l $ROOT/backup/indico-*.dump | grep -q 'TABLE public events'"
  local orig=$ROOT/backup/archive-*/event/0/1/2/1-timetable.pdf
  check "archive backed up with owner and mode" bash -c "f=\$(echo $orig); [ \"\$(stat -c %U:%G:%a \"\$f\")\" = \"\$(stat -c %U:%G:%a $io/archive/event/0/1/2/1-timetable.pdf)\" ]"
  check "distro uWSGI packages removed" [ ! -s "$ROOT/state/dpkg" ]
  check "distro uwsgi binary gone" [ ! -e "$ROOT/usr/bin/uwsgi" ]
  check "old uWSGI app config deleted" [ ! -e "$ROOT/etc/uwsgi/apps-available/indico.ini" ]
  check "uwsgi.service no longer exists" unit_unknown uwsgi.service
  check "uwsgi.service disabled" [ ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/uwsgi.service" ]
  check "indico-uwsgi.service written" grep -qF "ExecStart=$io/.venv/bin/uwsgi --ini $ROOT/etc/uwsgi-indico.ini" "$ROOT/etc/systemd/system/indico-uwsgi.service"
  check "uwsgi-indico.ini written" grep -qF "touch-reload = $io/web/indico.wsgi" "$ROOT/etc/uwsgi-indico.ini"
  check "indico-uwsgi enabled" [ "$("$ROOT/bin/systemctl" is-enabled indico-uwsgi.service)" = enabled ]
  check "indico-uwsgi active" unit_active indico-uwsgi.service
  check "celery active" unit_active indico-celery.service
  check "celery runs 3.3.12" [ "$(celery_version)" = 3.3.12 ]
  check "venv recreated on Python 3.12" [ "$(cat "$ROOT/state/python")" = 3.12.4 ]
  check "venv has uWSGI" [ -x "$io/.venv/bin/uwsgi" ]
  check "web/static points into python3.12" bash -c "readlink '$io/web/static' | grep -q python3.12/site-packages"
  check "removed plugins flagged" step_log_has update-config "FLAGGED: plugins that no longer exist in Indico 3.x: search vc_vidyo"
  check "flagged before the first indico command" before update-config create-symlinks
  check "the gate shows the config diff" step_log_has review-config "-PLUGINS = {'livesync', 'payment_manual', 'search', 'vc_vidyo'}"
  check "the gate shows the new PLUGINS" step_log_has review-config "+PLUGINS = {'livesync', 'payment_manual'}"
  check "the gate came before uWSGI was uninstalled" before review-config remove-distro-uwsgi
  check "2.x site not restored (not needed)" skipped restore-2x-site not_applicable
  check "PLUGINS without the removed plugins" grep -qx "PLUGINS = {'livesync', 'payment_manual'}" "$io/etc/indico.conf"
  check "CACHE_BACKEND dropped" bash -c "! grep -q '^CACHE_BACKEND' '$io/etc/indico.conf'"
  check "old config kept as indico.conf.2x" grep -q "^CACHE_BACKEND" "$io/etc/indico.conf.2x"
  check "TLS gate answered" finished confirm-tls succeeded
  check "watchdog did not fire" not_fired
  check "no stray session ended" skipped end-stray-sessions not_applicable
}

case_inplace_refused() {
  # No terminal and no --yes: the config gate takes its default, no. Nothing irreversible has
  # happened yet, so the plan brings the 2.x site back: its config, uWSGI and Celery.
  host_up v2 || return 1
  YES= run_plan
  check "exit 3 (refused)" [ "$RC" = 3 ]
  check "review-config refused" finished review-config failed
  check "restore-2x-site ran" finished restore-2x-site succeeded
  check "uWSGI never uninstalled" never_started remove-distro-uwsgi
  check "distro packages still there" [ -x "$ROOT/usr/bin/uwsgi" ]
  check "2.x config back" grep -qx "PLUGINS = {'livesync', 'payment_manual', 'search', 'vc_vidyo'}" "$ROOT/opt/indico/etc/indico.conf"
  check "uwsgi.service running again" unit_active uwsgi.service
  check "uwsgi.service enabled again" [ "$("$ROOT/bin/systemctl" is-enabled uwsgi.service)" = enabled ]
  check "celery running again" unit_active indico-celery.service
  check "still 2.x" [ "$(alembic)" = $HEAD_2X ]
  check "Python 2 venv kept" [ "$(cat "$ROOT/state/python")" = 2.7.18 ]
}

case_inplace_lock() {
  # A forgotten session idle in transaction on events: the core migration waits on it, the
  # watchdog fires, the stray session is ended (Indico is stopped: restarting uWSGI would be wrong).
  host_up v2 --hold-lock || return 1
  local stray
  stray=$(psql_sbx "SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction'")
  check "a stray session holds a transaction" [ -n "$stray" ]
  run_plan
  stray_session_ended
  check "the stray session is gone" [ "$(psql_sbx "SELECT count(*) FROM pg_stat_activity WHERE pid = $stray")" = 0 ]
  check "db-upgrade succeeded" finished db-upgrade succeeded
  ordo_status
  check "ordo status shows the firing" grep -q 'fired 1×: ordo-db-upgrade (pid ' "$STATE/status.txt"
}

case_inplace_pip_failure() {
  # pip fails in the new venv: the 2.x site cannot come back (uWSGI uninstalled, venv gone), so
  # nothing is started on half-installed code; the root cause is named; after fixing, resume.
  host_up v2 --fail pip || return 1
  run_plan
  pip_failed_at pip-install
  check "schema untouched" [ "$(alembic)" = $HEAD_2X ]
  check "celery not started on the broken venv" unit_inactive indico-celery.service
  check "no uWSGI started" unit_inactive indico-uwsgi.service
  pip_resumed pip-install
  check "venv not recreated again" never_started recreate-venv
  check "backups not made again" never_started backup-db
  check "indico-uwsgi active" unit_active indico-uwsgi.service
}

case_inplace_migration_failure() {
  host_up v2 --fail migration || return 1
  run_plan
  migration_failed
  check "no visibility column (rolled back)" [ "$(psql_sbx "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'visibility'")" = 0 ]
  check "TLS gate not asked" never_started confirm-tls
  migration_resumed
  check "venv not recreated again" never_started recreate-venv
}

case_inplace_no_plugins() {
  host_up v2 --no-plugins || return 1
  run_plan
  plugins_skipped
  check "indico-plugins not installed" bash -c "! grep -q '^indico-plugins ' '$ROOT/state/installed'"
}

case_inplace_el() {
  # EL: yum removes the distro uWSGI (uwsgi-plugin-python2, /etc/uwsgi.ini and the unit
  # drop-in); pip builds psycopg2 with PostgreSQL's bin dir on PATH.
  host_up v2 --el-host || return 1
  run_plan --fact os_family=rhel
  el_variant_ran remove-distro-uwsgi-el remove-distro-uwsgi
  check "/etc/uwsgi.ini deleted" [ ! -e "$ROOT/etc/uwsgi.ini" ]
  check "uwsgi.service drop-in deleted" [ ! -e "$ROOT/etc/systemd/system/uwsgi.service.d" ]
  check "packages removed" [ ! -s "$ROOT/state/dpkg" ]
  check "pip-install-el ran" finished pip-install-el succeeded
  check "celery runs 3.3.12" [ "$(celery_version)" = 3.3.12 ]
}

# --- fresh server (plans/indico-2x-to-3x.toml) -----------------------------------------------

case_fresh_happy() {
  host_up fresh || return 1
  local io=$ROOT/opt/indico user group
  user=$(sbx_user)
  group=$(sed -n 's/^web_group = "\(.*\)"$/\1/p' "$STATE/vars.toml")
  check "fresh host: empty database" [ "$(psql_sbx "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ]
  run_plan
  upgraded_to_3x
  check "dump restored (3 users, 3 events, attachments)" [ "$(psql_sbx 'SELECT count(*) FROM users'),$(psql_sbx 'SELECT count(*) FROM events'),$(psql_sbx 'SELECT count(*) FROM attachments')" = 3,3,3 ]
  check "restored from the 2.x schema" step_log_has restore-db "$HEAD_2X is the old schema version"
  local f=$io/archive/event/0/1/2/1-timetable.pdf
  check "archive file copied" cmp -s "$f" "$ROOT/transfer/indico-2x-archive/event/0/1/2/1-timetable.pdf"
  check "archive file owner/group" [ "$(owner_of "$f")" = "$user:$group" ]
  check "archive file mode 640" [ "$(mode_of "$f")" = 640 ]
  check "archive dir mode 750" [ "$(mode_of "$io/archive/event/0/1")" = 750 ]
  check "every archive file is the indico user's" [ -z "$(find "$io/archive" ! -user "$user")" ]
  check "wizard dirs created" bash -c "for d in archive cache log tmp etc web; do [ -d '$io'/\$d ] || exit 1; done"
  check "web dir mode 750" [ "$(mode_of "$io/web")" = 750 ]
  check "indico.conf written, 640" [ "$(mode_of "$io/etc/indico.conf")" = 640 ]
  check "SECRET_KEY carried over" [ "$(grep '^SECRET_KEY' "$io/etc/indico.conf")" = "$(grep '^SECRET_KEY' "$ROOT/transfer/indico-2x.conf")" ]
  check "LDAP settings carried over" grep -q '^AUTH_PROVIDERS = ' "$io/etc/indico.conf"
  check "CACHE_BACKEND dropped" bash -c "! grep -q '^CACHE_BACKEND' '$io/etc/indico.conf'"
  check "3.x paths" grep -qx "STORAGE_BACKENDS = {'default': 'fs:$io/archive'}" "$io/etc/indico.conf"
  check "config diff made" step_log_has config-diff "-CACHE_BACKEND = 'redis'"
  check "the gate shows the diff" step_log_has review-config "-CACHE_BACKEND = 'redis'"
  check "the gate shows the plugins dropped" step_log_has review-config "+PLUGINS = {'livesync', 'payment_manual'}"
  check "the gate shows the new paths" step_log_has review-config "+STORAGE_BACKENDS = {'default': 'fs:$io/archive'}"
  check "the gate came before anything installed or restored" before review-config restore-db
  check "gate answered yes" finished review-config succeeded
  check "removed plugins flagged" step_log_has check-plugins "FLAGGED: plugins that no longer exist in Indico 3.x: search vc_vidyo"
  check "flagged before any indico command" before check-plugins logging-config
  check "logging.yaml created" [ -f "$io/etc/logging.yaml" ]
  check "indico.wsgi in place" [ -f "$io/web/indico.wsgi" ]
  check "~/.indico.conf link" [ "$(readlink "$io/.indico.conf")" = "$io/etc/indico.conf" ]
  check "indico upgraded to 3.3.12" grep -qx 'indico 3.3.12' "$ROOT/state/installed"
  check "indico-uwsgi enabled and active" bash -c "[ \"\$('$ROOT/bin/systemctl' is-enabled indico-uwsgi.service)\" = enabled ] && [ \"\$('$ROOT/bin/systemctl' is-active indico-uwsgi.service)\" = active ]"
  check "celery active on 3.3.12" [ "$(celery_version)" = 3.3.12 ]
  check "watchdog did not fire" not_fired
}

case_fresh_lock() {
  host_up fresh --hold-lock || return 1
  run_plan
  stray_session_ended
  check "no idle-in-transaction session left" [ "$(psql_sbx "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" = 0 ]
}

case_fresh_pip_failure() {
  # pip fails: nothing of Indico runs yet on the new server and the old one is untouched, so
  # nothing is restored or started; the root cause is named; resume after fixing completes.
  host_up fresh --fail pip || return 1
  run_plan
  pip_failed_at pip-indico
  check "no service started" never_started start-services
  check "celery not running" unit_inactive indico-celery.service
  local restores
  restores=$(grep -cE '"t":"step_started",[^{]*"step":"restore-db"' "$EV")
  pip_resumed pip-indico
  check "the database restored once in all" [ $((restores + $(grep -cE '"t":"step_started",[^{]*"step":"restore-db"' "$EV"))) = 1 ]
  check "config not written again" never_started write-config
}

case_fresh_migration_failure() {
  host_up fresh --fail migration || return 1
  run_plan
  migration_failed
  check "uWSGI not running" unit_inactive indico-uwsgi.service
  migration_resumed
  check "database not restored again" never_started restore-db
}

case_fresh_no_plugins() {
  host_up fresh --no-plugins || return 1
  run_plan
  plugins_skipped
}

case_fresh_el() {
  host_up fresh --el-host || return 1
  run_plan --fact os_family=rhel
  el_variant_ran pip-indico-el pip-indico
  check "indico upgraded to 3.3.12" grep -qx 'indico 3.3.12' "$ROOT/state/installed"
}

# --- a real server's database (ordo-sandbox up --v2 --peer) -----------------------------------
# The database belongs to the non-superuser role of the Indico user, the socket admits only that
# OS user (peer), db_dsn is empty: the plan reads postgresql:///indico?host=... from indico.conf.

# Relations of the Indico schemas that the Indico role does not own.
not_owned_by() {
  psql_sbx "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('public', 'indico', 'plugin_livesync') AND pg_get_userbyid(c.relowner) <> '$1'"
}

case_inplace_peer_happy() {
  host_up v2 --peer || return 1
  local user dump
  user=$(sbx_user)
  check "vars leave db_dsn empty" grep -qx 'db_dsn = ""' "$STATE/vars.toml"
  check "the socket refuses role postgres" bash -c "psql 'host=$ROOT/s port=$(sed -n 's/^SBX_PORT=//p' "$ROOT/sandbox.env") user=postgres dbname=indico' -XAtqc 'SELECT 1' 2>&1 | grep -q 'Peer authentication failed'"
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "preflight read the URI from indico.conf" step_log_has preflight "database URI from $ROOT/opt/indico/etc/indico.conf"
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "livesync schema at its 3.x head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version_plugin_livesync')" = $LIVESYNC_HEAD ]
  check "data kept (3 events)" [ "$(psql_sbx 'SELECT count(*) FROM events')" = 3 ]
  check "everything still owned by the indico role" [ "$(not_owned_by "$user")" = 0 ]
  dump=$(compgen -G "$ROOT/backup/indico-*.dump" | head -n1)
  check "database backup written by the indico user" [ "$(stat -c %U "$dump" 2>/dev/null)" = "$user" ]
  check "backup is a real dump of the 2.x schema" bash -c "pg_restore -l '$dump' | grep -q 'TABLE public events'"
  check "watchdog reached the database" bash -c "! grep -q 'lock-watchdog: database unreachable' '$EV' '$STATE/out.txt'"
  check "watchdog did not fire" not_fired
  check "indico-uwsgi active" unit_active indico-uwsgi.service
  check "celery active" unit_active indico-celery.service
  check "celery runs 3.3.12" [ "$(celery_version)" = 3.3.12 ]
  check "uWSGI's sessions are the indico role's" [ "$(psql_sbx "SELECT count(*) > 0 AND bool_and(usename = '$user') FROM pg_stat_activity WHERE application_name = 'uwsgi'")" = t ]
}

case_inplace_peer_lock() {
  # The stray session is the Indico user's own (a forgotten `indico shell`): the watchdog and
  # end-stray-sessions, both connected as the non-superuser Indico role, see and end it.
  host_up v2 --peer --hold-lock || return 1
  local stray user
  user=$(sbx_user)
  stray=$(psql_sbx "SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND usename = '$user'")
  check "a stray session of the indico role holds a transaction" [ -n "$stray" ]
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "watchdog fired" fired lock-wait-watchdog
  check "the firing shows the stray session's query" grep -qE '"t":"watcher_fired",.*"query":"SELECT id, title FROM events ORDER BY id LIMIT 1;","usename":"'"$user"'"' "$EV"
  check "end-stray-sessions ran" finished end-stray-sessions succeeded
  check "the stray session is gone" [ "$(psql_sbx "SELECT count(*) FROM pg_stat_activity WHERE pid = $stray")" = 0 ]
  check "db-upgrade succeeded" finished db-upgrade succeeded
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "everything still owned by the indico role" [ "$(not_owned_by "$user")" = 0 ]
}

case_inplace_peer_superuser_blocker() {
  # The blocker is an admin's psql as the superuser postgres, left idle in transaction: the
  # Indico role (no superuser) may not end it. end-stray-sessions fails naming it and cancels
  # the migration (rolled back) instead of leaving it waiting forever; after the admin ends the
  # session, `ordo resume` completes the upgrade.
  host_up v2 --peer || return 1
  local holder blocker
  setsid bash -c '{ echo "BEGIN;"; echo "SELECT id FROM events ORDER BY id LIMIT 1;"; sleep 300; } |
    PGAPPNAME=admin-psql "$0" psql "$1" -q >/dev/null 2>&1' "$sbx" "$ROOT" &
  holder=$!
  for _ in $(seq 1 50); do
    blocker=$(psql_sbx "SELECT pid FROM pg_stat_activity WHERE application_name = 'admin-psql' AND state = 'idle in transaction'")
    [ -n "$blocker" ] && break
    sleep 0.1
  done
  check "the superuser's session holds a transaction" [ -n "$blocker" ]
  PATH="$ROOT/bin:$PATH" timeout 120 "$ordo" run "$PLAN" --vars "$STATE/vars.toml" \
    --state-dir "$STATE/st" --events "$EV" -j 2 --no-color --yes >"$STATE/out.txt" 2>&1 </dev/null
  RC=$?
  check "exit 1 (not hung)" [ "$RC" = 1 ]
  check "watchdog fired" fired lock-wait-watchdog
  check "end-stray-sessions failed" finished end-stray-sessions failed
  check "its error names the session it may not end" step_log_has end-stray-sessions "may not end the sessions that block the migration: pid $blocker (role postgres, application admin-psql)"
  check "the summary names it" grep -qF "may not end the sessions that block the migration" "$STATE/out.txt"
  check "db-upgrade failed (cancelled)" finished db-upgrade failed
  check "schema rolled back to the 2.x head" [ "$(alembic)" = $HEAD_2X ]
  check "nothing after the migrations ran" never_started start-services
  check "the superuser's session is still there" [ "$(psql_sbx "SELECT count(*) FROM pg_stat_activity WHERE pid = ${blocker:-0}")" = 1 ]
  cp "$STATE/out.txt" "$STATE/out-run.txt"
  # The admin ends it (as a superuser), then resumes.
  psql_sbx "SELECT pg_terminate_backend(${blocker:-0})" >/dev/null
  { kill -KILL -- "-$holder"; wait "$holder"; } 2>/dev/null
  resume_plan
  check "resume exit 0" [ "$RC" = 0 ]
  check "resume succeeded" outcome succeeded
  check "db-upgrade ran again and succeeded" finished db-upgrade succeeded
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "indico-uwsgi active" unit_active indico-uwsgi.service
}

# --- a fresh server's database (ordo-sandbox up --fresh --peer) -------------------------------
# As the install guide makes it: the EMPTY database owned by the non-superuser Indico role, the
# extensions by postgres, peer authentication on the socket; db_dsn is the server's standard URI
# (no user). The old server's dump belongs to another role, grants to a role this server lacks
# and comments the superuser's extensions, and the old indico.conf names the old server's socket.

# Schemas and relations of the restored database that the Indico role does not own.
fresh_not_owned_by() {
  psql_sbx "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('public', 'information_schema')
                      AND pg_get_userbyid(nspowner) <> '$1')
                 + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND pg_get_userbyid(c.relowner) <> '$1')"
}

case_fresh_peer_happy() {
  host_up fresh --peer || return 1
  local io=$ROOT/opt/indico user group uri port
  user=$(sbx_user)
  group=$(sed -n 's/^web_group = "\(.*\)"$/\1/p' "$STATE/vars.toml")
  port=$(sed -n 's/^SBX_PORT=//p' "$ROOT/sandbox.env")
  uri="postgresql:///indico?host=$ROOT/s&port=$port"
  check "vars: db_dsn is the peer URI (no user)" grep -qxF "db_dsn = \"$uri\"" "$STATE/vars.toml"
  check "the socket refuses role postgres" bash -c "psql 'host=$ROOT/s port=$port user=postgres dbname=indico' -XAtqc 'SELECT 1' 2>&1 | grep -q 'Peer authentication failed'"
  check "fresh host: the empty database is the indico role's" [ "$(psql_sbx "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'indico'"),$(psql_sbx "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = "$user,0" ]
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "run succeeded" outcome succeeded
  check "restored as the indico role" step_log_has restore-db "as role $user: $HEAD_2X is the old schema version"
  check "the extensions were there (made by postgres)" step_log_has restore-db "extension pg_trgm: present"
  check "restore reports every relation the role's" step_log_has restore-db "relations not owned by $user: 0"
  check "dump restored (3 users, 3 events, attachments)" [ "$(psql_sbx 'SELECT count(*) FROM users'),$(psql_sbx 'SELECT count(*) FROM events'),$(psql_sbx 'SELECT count(*) FROM attachments')" = 3,3,3 ]
  check "2.x settings migrated (no legacy settings left)" [ "$(psql_sbx "SELECT count(*) FROM indico.settings WHERE module = 'legacy'")" = 0 ]
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "livesync schema at its 3.x head" [ "$(psql_sbx 'SELECT version_num FROM alembic_version_plugin_livesync')" = $LIVESYNC_HEAD ]
  check "every schema and relation owned by the indico role" [ "$(fresh_not_owned_by "$user")" = 0 ]
  check "no grants to the old server's roles" [ "$(psql_sbx "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'indico') AND c.relacl IS NOT NULL")" = 0 ]
  check "indico.conf names this server's database" grep -qxF "SQLALCHEMY_DATABASE_URI = '$uri'" "$io/etc/indico.conf"
  check "the gate shows the old server's URI replaced" step_log_has review-config "-SQLALCHEMY_DATABASE_URI = 'postgresql:///indico'"
  check "SECRET_KEY carried over" [ "$(grep '^SECRET_KEY' "$io/etc/indico.conf")" = "$(grep '^SECRET_KEY' "$ROOT/transfer/indico-2x.conf")" ]
  local f=$io/archive/event/0/1/2/1-timetable.pdf
  check "archive file copied" cmp -s "$f" "$ROOT/transfer/indico-2x-archive/event/0/1/2/1-timetable.pdf"
  check "archive file owner/group and mode 640" [ "$(owner_of "$f"):$(mode_of "$f")" = "$user:$group:640" ]
  check "archive dir mode 750" [ "$(mode_of "$io/archive/event/0/1")" = 750 ]
  check "every archive file is the indico user's" [ -z "$(find "$io/archive" ! -user "$user")" ]
  check "watchdog reached the database" bash -c "! grep -q 'lock-watchdog: database unreachable' '$EV' '$STATE/out.txt'"
  check "watchdog did not fire" not_fired
  check "indico-uwsgi enabled and active" bash -c "[ \"\$('$ROOT/bin/systemctl' is-enabled indico-uwsgi.service)\" = enabled ] && [ \"\$('$ROOT/bin/systemctl' is-active indico-uwsgi.service)\" = active ]"
  check "celery active on 3.3.12" [ "$(celery_version)" = 3.3.12 ]
  check "uWSGI's sessions are the indico role's" [ "$(psql_sbx "SELECT count(*) > 0 AND bool_and(usename = '$user') FROM pg_stat_activity WHERE application_name = 'uwsgi'")" = t ]
  check "verify-schema passed" finished verify-schema succeeded
}

case_fresh_peer_lock() {
  # The stray session is the Indico user's own (a forgotten `indico shell` on the new server):
  # the watchdog and end-stray-sessions, as the non-superuser Indico role, see and end it.
  host_up fresh --peer --hold-lock || return 1
  local user
  user=$(sbx_user)
  run_plan
  check "exit 0" [ "$RC" = 0 ]
  check "watchdog fired" fired lock-wait-watchdog
  check "the firing shows the stray session's query" grep -qE '"t":"watcher_fired",.*"query":"SELECT id, title FROM events ORDER BY id LIMIT 1;","usename":"'"$user"'"' "$EV"
  check "end-stray-sessions ran" finished end-stray-sessions succeeded
  check "end-stray-sessions ended the role's session" step_log_has end-stray-sessions "(role $user, application -)"
  check "no idle-in-transaction session left" [ "$(psql_sbx "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" = 0 ]
  check "db-upgrade succeeded" finished db-upgrade succeeded
  check "schema at the 3.x head" [ "$(alembic)" = $HEAD_3X ]
  check "data kept (3 events)" [ "$(psql_sbx 'SELECT count(*) FROM events')" = 3 ]
  check "every schema and relation owned by the indico role" [ "$(fresh_not_owned_by "$user")" = 0 ]
  check "celery active on 3.3.12" [ "$(celery_version)" = 3.3.12 ]
}

case_fresh_peer_default_dsn() {
  # db_dsn empty on a fresh server (no etc/ yet): the preflight takes the install guide's
  # postgresql:///indico and reaches it as the indico user. PGHOST/PGPORT stand in for the
  # default socket dir and port (/var/run/postgresql, 5432), which are not this sandbox's.
  host_up fresh --peer || return 1
  local io=$ROOT/opt/indico port
  port=$(sed -n 's/^SBX_PORT=//p' "$ROOT/sandbox.env")
  PGHOST=$ROOT/s PGPORT=$port run_plan --set db_dsn= --only-tags preflight
  check "exit 0" [ "$RC" = 0 ]
  check "preflight used the standard database" step_log_has preflight "no $io/etc/indico.conf yet (a server before its setup): the install guide's database postgresql:///indico"
  check "and reached it as the indico role" step_log_has preflight "  ok    PostgreSQL "
  check "its dsn output is postgresql:///indico" step_log_has preflight "dsn=postgresql:///indico"
  check "nothing written" [ ! -e "$io/etc" ]
  # An Indico root with etc/ but no indico.conf is a broken install, not a fresh server.
  mkdir "$io/etc"
  PGHOST=$ROOT/s PGPORT=$port run_plan --fresh --set db_dsn= --only-tags preflight
  check "etc/ without indico.conf: exit 1" [ "$RC" = 1 ]
  check "etc/ without indico.conf: named" step_log_has preflight "FAIL  cannot read $io/etc/indico.conf (and db_dsn is not set)"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(inplace_happy inplace_refused inplace_lock inplace_pip_failure
  inplace_migration_failure inplace_no_plugins inplace_el fresh_happy fresh_lock
  fresh_pip_failure fresh_migration_failure fresh_no_plugins fresh_el inplace_peer_happy inplace_peer_lock
  inplace_peer_superuser_blocker fresh_peer_happy fresh_peer_lock fresh_peer_default_dsn)
run_cases "${cases[@]}"
