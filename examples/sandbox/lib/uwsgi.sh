#!/bin/bash
# uwsgi (sandbox stand-in): the uWSGI master that indico-uwsgi.service runs.
#
#   uwsgi --ini ROOT/etc/uwsgi-indico.ini     (reads processes, touch-reload, logto)
#   uwsgi --version
#
# Each "worker" is a real psql session (application_name "uwsgi") fed through a pipe, so the
# database sees real connections; about once a second each idle worker serves a "request"
# (SELECT count(*) FROM events), which queues behind a migration's exclusive lock like real
# traffic does. Worker sessions are listed in $RUNTIME_DIRECTORY/backends as
# "WORKER PSQL_PID BACKEND_PID HOLDING_LOCK".
#
# Signals and reloads (as uWSGI documents them):
#   SIGHUP, or a changed mtime/inode of touch-reload (polled every 200 ms): graceful reload. The
#     old workers' input is closed: they finish what they are doing and disconnect (a held
#     transaction ends, its locks are released); new workers open new sessions.
#     Logged to logto as "...gracefully killing workers..." / "binary reloading uWSGI...".
#   SIGTERM: brutal reload (workers killed, respawned). SIGQUIT/SIGINT: exit at once.
# Fault hold-lock: while ROOT/state/faults/hold-lock exists and ROOT/state/hold-lock.used does
#   not, worker 1 runs BEGIN; SELECT ... FROM events LIMIT 1; and stays idle in transaction
#   (ACCESS SHARE on events), then marks the fault used: one shot, so neither a reload nor a
#   restart takes the lock again (`ordo-sandbox fault ROOT set hold-lock` re-arms it).
# Readiness (Type=notify): writes READY=1 to $NOTIFY_FILE once every worker is connected.
# $RUNTIME_DIRECTORY/signals: one line per SIGHUP/SIGTERM trapped and per reload acted on (not a
#   uWSGI file: the sandbox's tests print it when a signal seems to go unanswered).
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ ${1:-} == --version ]] && { echo 2.0.28; exit 0; }
[[ ${1:-} == --ini && -r ${2:-} ]] || { echo "usage: uwsgi --ini FILE (readable)" >&2; exit 1; }
INI=$2
ini() { sed -n "s/^$1 *= *//p" "$INI" | tail -n1; }
# The distro uWSGI (2.x installs) loads its Python support as a plugin (`plugin = python`).
for plugin in $(ini plugin | tr ',' ' ') $(ini plugins | tr ',' ' '); do
  so=$SBX_ROOT/usr/lib/uwsgi/plugins/${plugin}_plugin.so
  [[ -e $so ]] || { echo "!!! UNABLE to load uWSGI plugin: $so: cannot open shared object file: No such file or directory !!!" >&2; exit 1; }
done
PROCS=$(ini processes)
PROCS=${PROCS:-2}
TOUCH=$(ini touch-reload)
LOGTO=$(ini logto)
[[ -n $LOGTO ]] && exec >>"$LOGTO" 2>&1
RUN=${RUNTIME_DIRECTORY:-$SBX_ROOT/run/indico-uwsgi}
mkdir -p "$RUN"
CONF=${INDICO_CONFIG:-$INDICO_ROOT/.indico.conf}
DSN=$(sed -n "s/^SQLALCHEMY_DATABASE_URI *= *['\"]\(.*\)['\"] *\$/\1/p" "$CONF" | tail -n1)

log() { echo "$(sbx_now) - $*"; }
trap '' PIPE # a dead worker's pipe must not kill the master

declare -a WFD=() WPID=() WBACK=() WHOLD=()

spawn_worker() { # I
  local i=$1 fd
  # The worker must not keep other workers' pipes open (they would never see EOF on a reload).
  exec {fd}> >(
    for f in /proc/"$BASHPID"/fd/*; do f=${f##*/}; ((f > 2)) && eval "exec $f>&-"; done 2>/dev/null
    PGAPPNAME=uwsgi exec "$SBX_PGBIN/psql" -X -q -At -d "$DSN" >/dev/null
  )
  WPID[i]=$! WFD[i]=$fd WHOLD[i]=0 WBACK[i]=''
  log "spawned uWSGI worker $i (pid: ${WPID[i]}, cores: 1)"
}

# sync_worker I: ask worker I for its backend pid and wait (<= 5 s) for the answer; this also
# proves that everything written to it before has been executed.
sync_worker() {
  local i=$1 f="$RUN/w$1.sync" n
  rm -f "$f"
  printf "\\\\o '%s'\nSELECT pg_backend_pid();\n\\\\o\n" "$f" 1>&"${WFD[i]}" 2>/dev/null || return 1
  for ((n = 0; n < 100; n++)); do
    [[ -s $f ]] && { WBACK[i]=$(<"$f"); rm -f "$f"; return 0; }
    sleep 0.05
  done
  log "worker $i did not answer (database unreachable?)"
  return 1
}

write_backends() {
  local i tmp="$RUN/.backends.$$"
  for i in "${!WPID[@]}"; do echo "$i ${WPID[i]} ${WBACK[i]:-?} ${WHOLD[i]}"; done >"$tmp"
  mv -f "$tmp" "$RUN/backends"
}

hold_lock_if_armed() {
  [[ -e $STATE/mode ]] && return 0 # 2.x and fresh hosts: the lock is a stray session's
  sbx_fault hold-lock && [[ ! -e $STATE/hold-lock.used ]] || return 0
  : >"$STATE/hold-lock.used"
  local f="$RUN/w1.sync" n
  rm -f "$f"
  # \qecho writes to the \o file without a query: the session's last query stays the SELECT.
  printf "BEGIN;\nSELECT id, title FROM events ORDER BY id LIMIT 1;\n\\\\o '%s'\n\\\\qecho held\n\\\\o\n" "$f" 1>&"${WFD[1]}" 2>/dev/null
  for ((n = 0; n < 100; n++)); do [[ -s $f ]] && break; sleep 0.05; done
  rm -f "$f"
  WHOLD[1]=1
  log "worker 1: request in progress, transaction open on events (fault hold-lock)"
  write_backends
}

spawn_all() {
  local i
  for ((i = 1; i <= PROCS; i++)); do spawn_worker "$i"; done
  for ((i = 1; i <= PROCS; i++)); do sync_worker "$i"; done
  write_backends
  hold_lock_if_armed
}

# Graceful: close the workers' input; they finish their statement, disconnect and exit.
retire_workers() {
  local i fd
  for i in "${!WPID[@]}"; do
    log "Gracefully killing worker $i (pid: ${WPID[i]})..."
    fd=${WFD[i]}
    exec {fd}>&-
  done
  WFD=() WPID=() WBACK=() WHOLD=()
}

kill_workers() {
  local i fd
  for i in "${!WPID[@]}"; do
    kill -KILL "${WPID[i]}" 2>/dev/null
    fd=${WFD[i]}
    exec {fd}>&-
  done
  WFD=() WPID=() WBACK=() WHOLD=()
}

graceful_reload() { # REASON
  [[ $1 == touch ]] && log "*** $TOUCH has been touched... grace them all !!! ***"
  log "...gracefully killing workers..."
  retire_workers
  log "binary reloading uWSGI..."
  spawn_all
  log "reloading done: $PROCS workers with new sessions"
}

wsgi_stamp() { stat -c '%.9Y %i' "$TOUCH" 2>/dev/null; }

RELOAD=0 BRUTAL=0
signal_note() { echo "$(sbx_now) - $*" >>"$RUN/signals"; }
trap 'RELOAD=1; signal_note "SIGHUP trapped"' HUP
trap 'BRUTAL=1; signal_note "SIGTERM trapped"' TERM
trap 'log "goodbye to uWSGI."; kill_workers; rm -f "$RUN/backends"; exit 0' QUIT INT

log "*** Starting uWSGI 2.0.28 (64bit) on [$(date)] ***"
log "spawned uWSGI master process (pid: $$)"
spawn_all
[[ -n ${NOTIFY_FILE:-} ]] && echo "READY=1 MAINPID=$$" >"$NOTIFY_FILE"

stamp=$(wsgi_stamp)
tick=0
while :; do
  sleep 0.2
  tick=$((tick + 1))
  if ((RELOAD)); then
    RELOAD=0
    signal_note "graceful reload (SIGHUP)"
    graceful_reload sighup
  elif ((BRUTAL)); then
    BRUTAL=0
    signal_note "brutal reload (SIGTERM)"
    log "...brutally killing workers..."
    kill_workers
    spawn_all
  fi
  now=$(wsgi_stamp)
  if [[ -n $now && $now != "$stamp" ]]; then
    stamp=$now
    graceful_reload touch
  fi
  hold_lock_if_armed
  ((tick % 5)) && continue
  # Once a second: respawn dead workers, and serve a request on every idle one.
  for i in "${!WPID[@]}"; do
    if ! kill -0 "${WPID[i]}" 2>/dev/null; then
      log "DAMN ! worker $i (pid: ${WPID[i]}) died :( trying respawn ..."
      fd=${WFD[i]}
      exec {fd}>&-
      spawn_worker "$i"
      sync_worker "$i"
      write_backends
    elif ((!WHOLD[i])); then
      echo 'SELECT count(*) FROM events;' 1>&"${WFD[i]}" 2>/dev/null
    fi
  done
done
