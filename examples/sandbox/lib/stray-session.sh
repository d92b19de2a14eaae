#!/bin/bash
# stray-session (sandbox, fault hold-lock on 2.x and fresh hosts): a forgotten `indico shell`
# (or psql) session left "idle in transaction" on the events table, the blocker of §4 of the
# Indico notes that restarting uWSGI does not end. Started by `ordo-sandbox up` in its own
# session; it waits until the events table exists with its primary key and no pg_restore is
# connected (on a fresh host: the dump has been restored), then runs
#   BEGIN; SELECT id, title FROM events ORDER BY id LIMIT 1;
# and stays idle, holding ACCESS SHARE on events until its backend is terminated
# (pg_terminate_backend) or the sandbox goes down. One shot: ROOT/state/hold-lock.used.
# The session is the superuser postgres's, or with `up --peer` the Indico user's own (its role).
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ready() {
  [[ $(sbx_psql -c "SELECT (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relname = 'events' AND c.relnamespace = 'public'::regnamespace AND i.indisprimary)
     + (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_restore') * 10" 2>/dev/null) == 1 ]]
}
until ready; do sleep 0.1; done
: >"$STATE/hold-lock.used"
{
  echo "BEGIN;"
  echo "SELECT id, title FROM events ORDER BY id LIMIT 1;"
  while :; do sleep 1; done
} | if [[ ${SBX_PEER:-0} == 1 ]]; then
  # A real server's database admits only the Indico user: the forgotten session is its own
  # (`indico shell`), so a non-superuser plan step may end it (pg_terminate_backend).
  uri="postgresql:///indico?host=$SBX_ROOT/s&port=$SBX_PORT"
  if ((EUID == 0)); then
    PGAPPNAME='' setpriv "--reuid=$SBX_USER" "--regid=$SBX_GROUP" --init-groups -- "$SBX_PGBIN/psql" -X -q -At -d "$uri"
  else
    PGAPPNAME='' "$SBX_PGBIN/psql" -X -q -At -d "$uri"
  fi >/dev/null 2>&1
else
  PGAPPNAME='' "$SBX_PGBIN/psql" -X -q -At -d "$SBX_DSN" >/dev/null 2>&1
fi
