#!/bin/bash
# systemctl (sandbox stand-in): manages the sandbox's units as REAL background processes.
#
# Units are read from ROOT/etc/systemd/system/*.service (the copy loaded at `up`/daemon-reload,
# with systemd's "changed on disk" warning when the file differs). Keys used: Description,
# ExecStart, ExecReload ($MAINPID), User, Group, UMask, Type (simple|notify|oneshot),
# RemainAfterExit, KillSignal, KillMode, TimeoutStopSec, RuntimeDirectory, Environment.
#   - A unit with a process (indico-uwsgi, indico-celery) runs in its own session/process group
#     as User=, with a clean environment, stdin /dev/null and output to ROOT/run/systemd/UNIT.journal;
#     its main pid is in ROOT/run/systemd/UNIT.pid. Type=notify waits for READY=1 in $NOTIFY_FILE.
#     stop: KillSignal to the main pid, wait up to TimeoutStopSec, then SIGKILL the whole group.
#     A main process that died on its own leaves the unit "failed".
#   - Type=oneshot + RemainAfterExit=yes units (postgresql, nginx, redis-server) are state-only
#     no-ops: they start active and just record start/stop.
# Verbs: start stop restart reload is-active is-enabled is-failed status show enable disable
# daemon-reload reset-failed, several units per call; messages and exit codes follow systemd
# (unknown unit: start/restart/reload "Unit X not found." and stop "Unit X not loaded.", exit 5;
# is-active prints "inactive", exit 3; status "could not be found", exit 4).
# When the sandbox was made by root, changing verbs run by another user fail "Access denied" (4).
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

UNITDIR=$SBX_ROOT/etc/systemd/system
PKGUNITDIR=$SBX_ROOT/usr/lib/systemd/system   # units shipped by (distro) packages
SD=$SBX_ROOT/run/systemd   # runtime state: loaded/ unit copies, pid, journal, lock files
LOADED=$SD/loaded
HOST=${HOSTNAME:-localhost}

QUIET=0 NOW=0 NOBLOCK=0 VALUE=0 LINES=10 PROPS=() VERB='' UNITS=()
while (($#)); do
  case $1 in
    -q | --quiet) QUIET=1 ;;
    --now) NOW=1 ;;
    --no-block) NOBLOCK=1 ;;
    --value) VALUE=1 ;;
    -p | --property) PROPS+=("${2:-}"); shift ;;
    --property=*) PROPS+=("${1#*=}") ;;
    -n | --lines) LINES=${2:-10}; shift ;;
    --lines=*) LINES=${1#*=} ;;
    --no-pager | --system | --full | -l | --no-ask-password | --no-legend | --plain | --wait) ;;
    --version) echo "systemd 252 (252.sandbox)"; exit 0 ;;
    -*) echo "systemctl: unrecognized option '$1'" >&2; exit 1 ;;
    *) if [[ -z $VERB ]]; then VERB=$1; else UNITS+=("$1"); fi ;;
  esac
  shift
done

unit_name() { [[ $1 == *.* ]] && echo "$1" || echo "$1.service"; }
# The loaded definition of a unit (a file new since the last daemon-reload is loaded on demand).
unit_file() {
  if [[ -f $LOADED/$1 ]]; then echo "$LOADED/$1"
  elif [[ -f $UNITDIR/$1 ]]; then echo "$UNITDIR/$1"
  elif [[ -f $PKGUNITDIR/$1 ]]; then echo "$PKGUNITDIR/$1"
  else return 1; fi
}
# key FILE KEY: the last KEY= value in a unit file (read in bash: systemctl runs it a lot).
key() {
  local line v=''
  while IFS= read -r line; do [[ $line == "$2="* ]] && v=${line#*=}; done <"$1"
  printf '%s\n' "$v"
}
has_process() { [[ $(key "$1" Type) != oneshot ]]; }

# The unit's file on disk: /etc/systemd/system overrides the package's.
disk_file() {
  if [[ -f $UNITDIR/$1 ]]; then echo "$UNITDIR/$1"; elif [[ -f $PKGUNITDIR/$1 ]]; then echo "$PKGUNITDIR/$1"; else return 1; fi
}
warn_changed() {
  local d
  d=$(disk_file "$1") || d=/dev/null
  [[ -f $LOADED/$1 ]] && ! cmp -s "$LOADED/$1" "$d" &&
    echo "Warning: The unit file, source configuration file or drop-ins of $1 changed on disk. Run 'systemctl daemon-reload' to reload units." >&2
  return 0
}

journal() { printf '%(%b %d %T)T %s systemd[1]: %s\n' -1 "$HOST" "$2" >>"$SD/$1.journal"; }

# alive PID: running and not a zombie.
alive() {
  local st
  [[ -r /proc/$1/stat ]] || return 1
  read -r st 2>/dev/null </proc/"$1"/stat || return 1
  st=${st##*) }
  [[ ${st%% *} != Z ]]
}


# Live members of process group $1.
group_members() {
  local f line fields
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$f" || continue
    read -r -a fields <<<"${line##*) }" # 0 state, 1 ppid, 2 pgrp
    [[ ${fields[2]} == "$1" && ${fields[0]} != Z ]] && echo "${f//[^0-9]/}"
  done
  return 0
}

# The unit's main pid, if its pid file names a live process of this sandbox.
main_pid() {
  local pid
  [[ -f $SD/$1.pid ]] || return 1
  pid=$(<"$SD/$1.pid")
  alive "$pid" && [[ $(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline) == *"$SBX_ROOT"* ]] && echo "$pid"
}

# active | inactive | failed
unit_state() {
  local f=$2
  if ! has_process "$f"; then
    [[ -e $SD/$1.active ]] && echo active || echo inactive
  elif [[ -f $SD/$1.pid ]]; then
    main_pid "$1" >/dev/null && echo active || echo failed
  elif [[ -e $SD/$1.failed ]]; then
    echo failed
  else
    echo inactive
  fi
}

is_enabled() { [[ -L $UNITDIR/multi-user.target.wants/$1 ]]; }

need_root() { # VERB-for-message UNIT
  ((SBX_ROOTMODE && EUID != 0)) || return 0
  echo "Failed to $1${2:+ $2}: Access denied" >&2
  return 4
}

# --- jobs -------------------------------------------------------------------------------------

do_start() { # UNIT FILE
  local u=$1 f=$2 user group umask_ rtdir notify pid n line
  [[ $(unit_state "$u" "$f") == active ]] && return 0
  if ! has_process "$f"; then
    : >"$SD/$u.active"
    printf '%(%s)T\n' -1 >"$SD/$u.since"
    journal "$u" "Finished $(key "$f" Description)."
    return 0
  fi
  rm -f "$SD/$u.failed" "$SD/$u.pid"
  user=$(key "$f" User) group=$(key "$f" Group) umask_=$(key "$f" UMask)
  user=${user:-$(id -un)} group=${group:-$(id -gn "$user")}
  local -a argv envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
    "HOME=$(getent passwd "$user" | cut -d: -f6)" "USER=$user" "LOGNAME=$user" SHELL=/bin/bash)
  read -r -a argv <<<"$(key "$f" ExecStart)"
  while IFS= read -r line; do [[ -n $line ]] && envs+=("$line"); done < <(sed -n 's/^Environment=//p' "$f")
  rtdir=$(key "$f" RuntimeDirectory)
  if [[ -n $rtdir ]]; then
    rm -rf "${SBX_ROOT:?}/run/$rtdir"
    mkdir -p "$SBX_ROOT/run/$rtdir"
    ((EUID == 0)) && chown "$user:$group" "$SBX_ROOT/run/$rtdir"
    envs+=("RUNTIME_DIRECTORY=$SBX_ROOT/run/$rtdir")
  fi
  notify=$SD/$u.notify
  rm -f "$notify"
  if [[ $(key "$f" Type) == notify ]]; then
    : >"$notify"
    ((EUID == 0)) && chown "$user" "$notify"
    envs+=("NOTIFY_FILE=$notify")
  fi
  local -a creds=()
  ((EUID == 0)) && [[ $user != root ]] && creds=(setpriv "--reuid=$user" "--regid=$group" --init-groups --)
  journal "$u" "Started $(key "$f" Description)."
  (
    for n in /proc/"$BASHPID"/fd/*; do n=${n##*/}; ((n > 2)) && eval "exec $n>&-"; done 2>/dev/null
    cd / || exit 1
    [[ -n $umask_ ]] && umask "$umask_"
    # Default signal dispositions, as systemd gives every service it starts: an ignored signal
    # inherited from whoever ran systemctl (nohup ignores SIGHUP) would otherwise reach the unit,
    # and a bash stand-in cannot trap a signal that was ignored when it started.
    exec setsid "${creds[@]}" env -i --default-signal "${envs[@]}" "${argv[@]}"
  ) </dev/null >>"$SD/$u.journal" 2>&1 &
  pid=$!
  # Like a real daemon's parent, return only once the service has left our session (setsid):
  # whoever ran `systemctl start` may kill its own process group as soon as we exit.
  local self_sid sid n
  read -r -a sid </proc/$$/stat
  self_sid=${sid[5]}
  for ((n = 0; n < 500; n++)); do
    read -r -a sid </proc/"$pid"/stat 2>/dev/null || break
    [[ ${sid[5]} != "$self_sid" ]] && break
    sleep 0.01
  done
  echo "$pid" >"$SD/$u.pid"
  printf '%(%s)T\n' -1 >"$SD/$u.since"
  [[ $(key "$f" Type) == notify ]] && ((!NOBLOCK)) || return 0
  for ((n = 0; n < 300; n++)); do # up to 15 s, like a (short) TimeoutStartSec
    grep -q 'READY=1' "$notify" 2>/dev/null && return 0
    alive "$pid" || break
    sleep 0.05
  done
  do_kill "$u" "$f" "$pid" KILL
  : >"$SD/$u.failed"
  rm -f "$SD/$u.pid"
  echo "Job for $u failed because the control process exited with error code." >&2
  echo "See \"systemctl status $u\" and \"journalctl -xeu $u\" for details." >&2
  return 1
}

# do_kill UNIT FILE PID SIGNAL: SIGNAL to the main pid, wait TimeoutStopSec, SIGKILL the group.
do_kill() {
  local u=$1 f=$2 pid=$3 sig=$4 timeout n
  timeout=$(key "$f" TimeoutStopSec)
  timeout=${timeout%s}
  timeout=${timeout:-90}
  kill -s "$sig" "$pid" 2>/dev/null
  for ((n = 0; n < timeout * 20; n++)); do
    alive "$pid" || break
    sleep 0.05
  done
  kill -KILL -- "-$pid" 2>/dev/null
  for ((n = 0; n < 100; n++)); do
    [[ -z $(group_members "$pid") ]] && return 0
    sleep 0.05
  done
}

do_stop() { # UNIT FILE
  local u=$1 f=$2 pid sig
  if ! has_process "$f"; then
    [[ -e $SD/$u.active ]] && journal "$u" "Stopped $(key "$f" Description)."
    rm -f "$SD/$u.active"
    return 0
  fi
  if pid=$(main_pid "$u"); then
    journal "$u" "Stopping $(key "$f" Description)..."
    sig=$(key "$f" KillSignal)
    do_kill "$u" "$f" "$pid" "${sig:-SIGTERM}"
    journal "$u" "Stopped $(key "$f" Description)."
  fi
  rm -f "$SD/$u.pid" "$SD/$u.since" "$SD/$u.failed"
}

do_reload() { # UNIT FILE
  local u=$1 f=$2 cmd pid
  cmd=$(key "$f" ExecReload)
  if [[ -z $cmd ]]; then
    echo "Failed to reload $u: Job type reload is not applicable for unit $u." >&2
    return 3
  fi
  if [[ $(unit_state "$u" "$f") != active ]]; then
    echo "$u is not active, cannot reload." >&2
    return 1
  fi
  has_process "$f" || return 0
  pid=$(main_pid "$u")
  journal "$u" "Reloading $(key "$f" Description)..."
  local -a argv
  read -r -a argv <<<"${cmd//\$MAINPID/$pid}"
  "${argv[@]}" || return 1
  journal "$u" "Reloaded $(key "$f" Description)."
}

# run_job VERB UNIT: one unit's start/stop/restart/reload, serialized per unit.
run_job() {
  local verb=$1 u f lockfd rc=0
  u=$(unit_name "$2")
  need_root "$verb" "$u" || return $?
  if ! f=$(unit_file "$u"); then
    [[ $verb == stop ]] && echo "Failed to stop $u: Unit $u not loaded." >&2 ||
      echo "Failed to $verb $u: Unit $u not found." >&2
    return 5
  fi
  warn_changed "$u"
  exec {lockfd}>"$SD/$u.lock"
  flock -w 600 "$lockfd"
  case $verb in
    start) do_start "$u" "$f" || rc=$? ;;
    stop) do_stop "$u" "$f" || rc=$? ;;
    restart) do_stop "$u" "$f" && { do_start "$u" "$f" || rc=$?; } ;;
    reload) do_reload "$u" "$f" || rc=$? ;;
  esac
  exec {lockfd}>&-
  return "$rc"
}

# --- queries ----------------------------------------------------------------------------------

do_status() { # UNIT -> prints, returns 0 active / 3 not / 4 unknown
  local u f state pid since sub dot enabled
  u=$(unit_name "$1")
  if ! f=$(unit_file "$u"); then echo "Unit $u could not be found." >&2; return 4; fi
  state=$(unit_state "$u" "$f")
  is_enabled "$u" && enabled=enabled || enabled=disabled
  case $state in active) dot='●' ;; failed) dot='×' ;; *) dot='○' ;; esac
  echo "$dot $u - $(key "$f" Description)"
  echo "     Loaded: loaded ($UNITDIR/$u; $enabled; preset: enabled)"
  if [[ $state == active ]]; then
    has_process "$f" && sub=running || sub=exited
    since=$(cat "$SD/$u.since" 2>/dev/null || date +%s)
    echo "     Active: active ($sub) since $(date -d "@$since" '+%a %Y-%m-%d %T %Z'); $(($(date +%s) - since))s ago"
    if pid=$(main_pid "$u"); then
      echo "   Main PID: $pid ($(cat /proc/"$pid"/comm 2>/dev/null))"
      echo "     CGroup: /system.slice/$u"
      local m
      for m in $(group_members "$pid"); do
        echo "             └─$m $(tr '\0' ' ' 2>/dev/null </proc/"$m"/cmdline | cut -c1-120)"
      done
    fi
  elif [[ $state == failed ]]; then
    echo "     Active: failed (Result: exit-code)"
  else
    echo "     Active: inactive (dead)"
  fi
  if [[ -s $SD/$u.journal ]]; then echo; tail -n "$LINES" "$SD/$u.journal"; fi
  [[ $state == active ]] && return 0 || return 3
}

show_prop() { # UNIT FILE PROP
  local u=$1 f=$2 v=''
  case $3 in
    Id | Names) v=$u ;;
    Description) [[ -n $f ]] && v=$(key "$f" Description) ;;
    LoadState) [[ -n $f ]] && v=loaded || v=not-found ;;
    ActiveState) [[ -n $f ]] && v=$(unit_state "$u" "$f") || v=inactive ;;
    SubState)
      v=dead
      if [[ -n $f ]]; then
        case $(unit_state "$u" "$f") in
          active) has_process "$f" && v=running || v=exited ;; failed) v=failed ;;
        esac
      fi ;;
    MainPID | ExecMainPID) v=$(main_pid "$u" 2>/dev/null) || v=0; v=${v:-0} ;;
    UnitFileState) [[ -z $f ]] && v='' || { is_enabled "$u" && v=enabled || v=disabled; } ;;
    *) [[ -n $f ]] && v=$(key "$f" "$3") ;;
  esac
  if ((VALUE)); then echo "$v"; else echo "$3=$v"; fi
}

# --- main -------------------------------------------------------------------------------------

[[ -n $VERB ]] || { echo "systemctl (sandbox stand-in): a verb is required" >&2; exit 1; }
mkdir -p "$LOADED" 2>/dev/null
case $VERB in
  start | stop | restart | reload | is-active | is-enabled | is-failed | status | enable | disable | reset-failed | show)
    if ((${#UNITS[@]} == 0)) && [[ $VERB != status && $VERB != reset-failed && $VERB != show ]]; then
      echo "Too few arguments." >&2
      exit 1
    fi ;;
esac

rc=0
first_rc() { ((rc == 0)) && rc=$1; return 0; }
case $VERB in
  start | stop | restart | reload)
    # Like systemd, the jobs of one call run in parallel; the first failure gives the exit code.
    if ((${#UNITS[@]} == 1)); then
      run_job "$VERB" "${UNITS[0]}" || rc=$?
    else
      jobs_=()
      for x in "${UNITS[@]}"; do run_job "$VERB" "$x" & jobs_+=($!); done
      for j in "${jobs_[@]}"; do wait "$j" || first_rc $?; done
    fi ;;
  is-active | is-failed)
    any=0
    for x in "${UNITS[@]}"; do
      u=$(unit_name "$x")
      if f=$(unit_file "$u"); then s=$(unit_state "$u" "$f"); else s=inactive; fi
      ((QUIET)) || echo "$s"
      [[ $VERB == is-active && $s == active ]] && any=1
      [[ $VERB == is-failed && $s == failed ]] && any=1
    done
    ((any)) || rc=$([[ $VERB == is-active ]] && echo 3 || echo 1) ;;
  is-enabled)
    any=0
    for x in "${UNITS[@]}"; do
      u=$(unit_name "$x")
      if ! unit_file "$u" >/dev/null; then
        echo "Failed to get unit file state for $u: No such file or directory" >&2
        first_rc 1
        continue
      fi
      if is_enabled "$u"; then ((QUIET)) || echo enabled; any=1; else ((QUIET)) || echo disabled; fi
    done
    ((any)) || first_rc 1 ;;
  enable | disable)
    for x in "${UNITS[@]}"; do
      u=$(unit_name "$x")
      need_root "$VERB unit" || { first_rc $?; continue; }
      if ! src=$(disk_file "$u"); then
        echo "Failed to $VERB unit: Unit file $u does not exist." >&2
        first_rc 1
        continue
      fi
      link=$UNITDIR/multi-user.target.wants/$u
      if [[ $VERB == enable ]]; then
        if [[ ! -L $link ]]; then
          mkdir -p "$UNITDIR/multi-user.target.wants"
          ln -s "$src" "$link"
          echo "Created symlink $link → $src." >&2
        fi
        ((NOW)) && { run_job start "$u" || first_rc $?; }
      else
        if [[ -L $link ]]; then rm -f "$link"; echo "Removed \"$link\"." >&2; fi
        ((NOW)) && { run_job stop "$u" || first_rc $?; }
      fi
    done ;;
  status)
    ((${#UNITS[@]})) || { echo "● $HOST (sandbox at $SBX_ROOT)"; exit 0; }
    srv=0
    for x in "${UNITS[@]}"; do
      ((srv++)) && echo
      do_status "$x" || first_rc $?
    done ;;
  show)
    for x in "${UNITS[@]}"; do
      u=$(unit_name "$x")
      f=$(unit_file "$u") || f=''
      ((${#PROPS[@]})) || PROPS=(Id Description LoadState ActiveState SubState MainPID UnitFileState)
      for p in "${PROPS[@]}"; do
        IFS=, read -r -a plist <<<"$p"
        for q in "${plist[@]}"; do show_prop "$u" "$f" "$q"; done
      done
    done ;;
  daemon-reload)
    need_root "reload daemon" || exit $?
    rm -rf "$LOADED"
    mkdir -p "$LOADED"
    cp -p "$PKGUNITDIR"/*.service "$LOADED"/ 2>/dev/null
    cp -p "$UNITDIR"/*.service "$LOADED"/ 2>/dev/null ;;
  reset-failed)
    for f in "$SD"/*.pid; do
      [[ -e $f ]] || continue
      u=$(basename "$f" .pid)
      [[ ${#UNITS[@]} -gt 0 && " ${UNITS[*]} " != *" $u "* && " ${UNITS[*]} " != *" ${u%.service} "* ]] && continue
      main_pid "$u" >/dev/null || rm -f "$f" "$SD/$u.failed"
    done
    rm -f "$SD"/*.failed ;;
  *) echo "Unknown command verb '$VERB'." >&2; rc=1 ;;
esac
exit "$rc"
