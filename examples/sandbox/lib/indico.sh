#!/bin/bash
# indico (sandbox stand-in): the parts of Indico's CLI that an upgrade touches.
#
#   indico --version                                  "Indico v3.3.10"
#   indico db [--plugin NAME | --all-plugins] upgrade|current|heads|history
#   indico setup create-symlinks DIR                  re-links DIR/static, re-copies indico.wsgi
#   indico setup create-logging-config DIR            writes DIR/logging.yaml (refuses to overwrite)
#   indico celery worker [-B]                         what indico-celery.service runs
#
# Like the real app it reads the config from $INDICO_CONFIG, else ~/.indico.conf (here the tree's
# .indico.conf symlink to etc/indico.conf), connects to SQLALCHEMY_DATABASE_URI, and every
# command but --version first loads the plugins in PLUGINS: one that is not installed fails with
# a traceback ending in "Could not load some plugins: NAME" (exit 1).
#
# `db upgrade` applies every pending revision of the installed release (lib/index.conf) through
# ONE `psql --single-transaction -v ON_ERROR_STOP=1` run, so an error rolls back everything,
# alembic_version included, and every lock is held until the final commit. The alembic lines go
# to stderr as the revisions start (psql \warn); the session's application_name is $PGAPPNAME,
# "indico" when unset. Fault fail-migration: the newest pending core revision fails.
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SP=$(sbx_site_packages)
TMPFILES=()
trap 'rm -f "${TMPFILES[@]}"' EXIT
ALEMBIC='INFO  [alembic.runtime.migration]'
# The SQL that the fault fail-migration appends to the newest pending core revision.
FAIL_SQL='ALTER TABLE events ADD CONSTRAINT fk_events_category_id_categories FOREIGN KEY (category_id) REFERENCES categories (id)'

usage_error() { # MESSAGE [USAGE], click's format
  local usage=${2:-indico [OPTIONS] COMMAND [ARGS]...}
  printf 'Usage: %s\nTry '\''%s --help'\'' for help.\n\nError: %s\n' "$usage" "${usage%% \[*}" "$1" >&2
  exit 2
}

# --- Python-style failures --------------------------------------------------------------------

tb_cli_frames() {
  cat >&2 <<EOF
Traceback (most recent call last):
  File "$VENV/bin/indico", line 8, in <module>
    sys.exit(cli())
             ^^^^^
  File "$SP/click/core.py", line 1157, in __call__
    return self.main(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "$SP/flask/cli.py", line 357, in decorator
    return __ctx.invoke(f, *args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
EOF
}

fail_plugins() { # MISSING...
  tb_cli_frames
  cat >&2 <<EOF
  File "$SP/indico/cli/util.py", line 94, in _create_app
    return make_app(set_path=True)
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "$SP/indico/web/flask/app.py", line 466, in make_app
    raise Exception('Could not load some plugins: {}'.format(', '.join(sorted(plugin_engine.get_failed_plugins(app)))))
Exception: Could not load some plugins: $(IFS=,; echo "${*}" | sed 's/,/, /g')
EOF
  exit 1
}

# fail_db SQLSTATE MESSAGE [SQL]: a psycopg2 error wrapped by SQLAlchemy, then exit 1.
fail_db() {
  local state=$1 msg=$2 sql=${3:-} pgerr sa code
  case $state in
    42703) pgerr=errors.UndefinedColumn ;; 42P01) pgerr=errors.UndefinedTable ;;
    42701) pgerr=errors.DuplicateColumn ;; 42P07) pgerr=errors.DuplicateTable ;;
    42601) pgerr=errors.SyntaxError ;; 23505) pgerr=errors.UniqueViolation ;;
    23502) pgerr=errors.NotNullViolation ;; 55P03) pgerr=errors.LockNotAvailable ;;
    57014) pgerr=errors.QueryCanceled ;; 40P01) pgerr=errors.DeadlockDetected ;;
    57P01) pgerr=errors.AdminShutdown ;; conn) pgerr=OperationalError ;; *) pgerr=errors.DatabaseError ;;
  esac
  case $state in
    42*) sa=ProgrammingError code=f405 ;; 23*) sa=IntegrityError code=gkpj ;; 22*) sa=DataError code=9h9h ;;
    08* | 40* | 53* | 55* | 57* | conn) sa=OperationalError code=e3q8 ;; *) sa=InternalError code=2j85 ;;
  esac
  tb_cli_frames
  cat >&2 <<EOF
  File "$SP/sqlalchemy/engine/base.py", line 1967, in _exec_single_context
    self.dialect.do_execute(
  File "$SP/sqlalchemy/engine/default.py", line 924, in do_execute
    cursor.execute(statement, parameters)
psycopg2.$pgerr: $msg

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "$VENV/bin/indico", line 8, in <module>
    sys.exit(cli())
  File "$SP/alembic/runtime/migration.py", line 627, in run_migrations
    step.migration_fn(**kw)
  File "$SP/sqlalchemy/engine/base.py", line 1967, in _exec_single_context
    self.dialect.do_execute(
sqlalchemy.exc.$sa: (psycopg2.$pgerr) $msg
EOF
  [[ -n $sql ]] && printf '\n[SQL: %s]\n' "$sql" >&2
  printf '(Background on this error at: https://sqlalche.me/e/20/%s)\n' "$code" >&2
  exit 1
}

# --- config and plugins -----------------------------------------------------------------------

load_config() {
  CONF=${INDICO_CONFIG:-$INDICO_ROOT/.indico.conf}
  if [[ ! -r $CONF ]]; then
    tb_cli_frames
    echo "Exception: No indico config found. Point the INDICO_CONFIG env var to your config file or move/symlink the config in one of the following locations: ~/.indico.conf, /etc/indico.conf" >&2
    exit 1
  fi
  DB_URI=$(sed -n "s/^SQLALCHEMY_DATABASE_URI *= *['\"]\(.*\)['\"] *\$/\1/p" "$CONF" | tail -n1)
  DB_URI=${DB_URI/postgresql+psycopg2:/postgresql:}
  local line
  line=$(grep -E '^PLUGINS *=' "$CONF" | tail -n1)
  mapfile -t ENABLED < <(grep -oE "['\"][A-Za-z0-9_]+['\"]" <<<"${line#*=}" | tr -d "'\"" | sort -u)
}

# Load the app: every enabled plugin must be installed.
load_app() {
  load_config
  local installed=" " p missing=()
  [[ -n $(sbx_installed indico-plugins) ]] && installed=" $(index_plugins indico-plugins) "
  for p in "${ENABLED[@]}"; do [[ $installed == *" $p "* ]] || missing+=("$p"); done
  ((${#missing[@]} == 0)) || fail_plugins "${missing[@]}"
}

# --- database helpers -------------------------------------------------------------------------

# db_psql ARGS...: run psql on the configured DB; a failure becomes a Python traceback.
db_psql() {
  local out errf rc
  errf=$(mktemp)
  out=$(PGAPPNAME=${PGAPPNAME:-indico} "$SBX_PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
    -v VERBOSITY=verbose -d "$DB_URI" "$@" 2>"$errf")
  rc=$?
  if ((rc != 0)); then
    local err
    err=$(<"$errf")
    rm -f "$errf"
    report_psql_error "$err" ""
  fi
  rm -f "$errf"
  printf '%s' "$out"
}

# report_psql_error STDERR SQL: turn psql's stderr into the matching Python traceback; exit 1.
report_psql_error() {
  local err=$1 line state msg
  while IFS= read -r line; do
    if [[ $line =~ (ERROR|FATAL):\ +([0-9A-Z]{5}):\ (.*)$ ]]; then
      state=${BASH_REMATCH[2]} msg=${BASH_REMATCH[3]}
      break
    elif [[ $line =~ ^psql:\ error:\ (.*)$ ]]; then
      state=conn msg=${BASH_REMATCH[1]}
    fi
  done <<<"$err"
  fail_db "${state:-XX000}" "${msg:-$err}" "$2"
}

# The current revision in TABLE (empty when the table or row is missing).
read_current() {
  db_psql -f - <<EOF
SELECT to_regclass('public.$1') IS NOT NULL AS has_table \gset
\if :has_table
SELECT version_num FROM public.$1;
\endif
EOF
}

# Which package ships HISTORY, and which version of it is installed.
history_pkg() { [[ $1 == indico ]] && echo indico || echo indico-plugins; }
history_table() { [[ $1 == indico ]] && echo alembic_version || echo "alembic_version_plugin_$1"; }

# load_history HISTORY: fills REVS, MSGS, SQLS with the installed release's chain.
load_history() {
  local pkg rev msg sql
  pkg=$(history_pkg "$1")
  REVS=() MSGS=() SQLS=()
  while IFS='|' read -r rev msg sql; do
    REVS+=("$rev") MSGS+=("$msg") SQLS+=("$sql")
  done < <(index_revs "$1" "$pkg" "$(sbx_installed "$pkg")")
}

# The index of revision $2 in REVS (-1 for none/empty); alembic's error when unknown.
rev_position() {
  local i
  [[ -z $1 ]] && { echo -1; return 0; }
  for i in "${!REVS[@]}"; do [[ ${REVS[$i]} == "$1" ]] && { echo "$i"; return 0; }; done
  echo "ERROR [flask_migrate] Error: Can't locate revision identified by '$1'" >&2
  exit 1
}

# --- db commands ------------------------------------------------------------------------------

db_heads() {
  load_history "$1"
  ((${#REVS[@]})) && echo "${REVS[-1]} (head)"
  return 0
}

db_current() {
  local table cur
  table=$(history_table "$1")
  load_history "$1"
  cur=$(read_current "$table") || exit 1
  echo "$ALEMBIC Context impl PostgresqlImpl." >&2
  echo "$ALEMBIC Will assume transactional DDL." >&2
  [[ -z $cur ]] && return 0
  rev_position "$cur" >/dev/null
  if [[ $cur == "${REVS[-1]}" ]]; then echo "$cur (head)"; else echo "$cur"; fi
}

db_history() {
  local i down head
  load_history "$1"
  for ((i = ${#REVS[@]} - 1; i >= 0; i--)); do
    down='<base>'
    ((i > 0)) && down=${REVS[$((i - 1))]}
    head=''
    ((i == ${#REVS[@]} - 1)) && head=' (head)'
    echo "$down -> ${REVS[$i]}$head, ${MSGS[$i]}"
  done
}

db_upgrade() {
  local hist=$1 table cur pos i prev script errf efd fpid pid rc sig=0
  table=$(history_table "$hist")
  load_history "$hist"
  cur=$(read_current "$table") || exit 1
  pos=$(rev_position "$cur") || exit 1

  script=$(mktemp)
  errf=$(mktemp)
  TMPFILES+=("$script" "$errf")
  {
    echo '\set VERBOSITY verbose'
    echo '\set SHOW_CONTEXT never'
    echo '\set ECHO errors'
    echo 'SET client_min_messages = warning;'
    echo "\\warn '$ALEMBIC Context impl PostgresqlImpl.'"
    echo "\\warn '$ALEMBIC Will assume transactional DDL.'"
    [[ -z $cur ]] && echo "CREATE TABLE IF NOT EXISTS public.$table (version_num varchar(32) NOT NULL, CONSTRAINT ${table}_pkc PRIMARY KEY (version_num));"
    prev=$cur
    for ((i = pos + 1; i < ${#REVS[@]}; i++)); do
      echo "\\warn '$ALEMBIC Running upgrade $prev -> ${REVS[$i]}, ${MSGS[$i]//\'/}'"
      echo "${SQLS[$i]};"
      if [[ $hist == indico ]] && ((i == ${#REVS[@]} - 1)) && sbx_fault fail-migration; then
        echo "$FAIL_SQL;"
      fi
      if [[ -z $prev ]]; then
        echo "INSERT INTO public.$table (version_num) VALUES ('${REVS[$i]}');"
      else
        echo "UPDATE public.$table SET version_num='${REVS[$i]}' WHERE public.$table.version_num = '$prev';"
      fi
      prev=${REVS[$i]}
    done
  } >"$script"

  # psql's stderr: alembic lines pass through as they come, the rest is kept for the traceback.
  exec {efd}> >(while IFS= read -r l; do
    [[ $l == "$ALEMBIC "* ]] && printf '%s\n' "$l" >&2
    printf '%s\n' "$l" >>"$errf"
  done)
  fpid=$!
  PGAPPNAME=${PGAPPNAME:-indico} "$SBX_PGBIN/psql" -X -q -At --single-transaction \
    -v ON_ERROR_STOP=1 -d "$DB_URI" -f "$script" >/dev/null 2>&$efd &
  pid=$!
  # Like a Python process, a signal ends the run; psql goes with it and the server rolls back.
  trap 'sig=15; kill -TERM $pid 2>/dev/null' TERM
  trap 'sig=2; kill -TERM $pid 2>/dev/null' INT
  trap 'sig=1; kill -TERM $pid 2>/dev/null' HUP
  wait "$pid"
  rc=$?
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; rc=$?; done
  exec {efd}>&-
  wait "$fpid" 2>/dev/null
  ((sig)) && exit $((128 + sig))
  ((rc == 0)) && return 0
  # The statement that failed (psql's ECHO=errors), else the SQL of the last revision started.
  local failing running
  failing=$(sed -n 's/^psql:.*: STATEMENT:  \(.*\);\{0,1\}$/\1/p' "$errf" | head -n1)
  failing=${failing%;}
  if [[ -z $failing ]]; then
    running=$(sed -n "s/.*Running upgrade .* -> \([0-9a-f]*\), .*/\1/p" "$errf" | tail -n1)
    for i in "${!REVS[@]}"; do [[ ${REVS[$i]} == "$running" ]] && failing=${SQLS[$i]}; done
  fi
  report_psql_error "$(grep -v ': STATEMENT:  ' "$errf")" "$failing"
}

# run_db_command CMD: for the core, or per enabled plugin with --plugin/--all-plugins.
cmd_db() {
  local mode=core plugin='' cmd
  while (($#)); do
    case $1 in
      --all-plugins) mode=all; shift ;;
      --plugin) [[ $# -ge 2 ]] || usage_error "Option '--plugin' requires an argument." "indico db [OPTIONS] COMMAND [ARGS]..."
        mode=one plugin=$2; shift 2 ;;
      --plugin=*) mode=one plugin=${1#*=}; shift ;;
      -*) usage_error "No such option: $1" "indico db [OPTIONS] COMMAND [ARGS]..." ;;
      *) break ;;
    esac
  done
  cmd=${1:-}
  [[ -n $cmd ]] || usage_error "Missing command." "indico db [OPTIONS] COMMAND [ARGS]..."
  shift
  case $cmd in upgrade | current | heads | history) ;;
    *) usage_error "No such command '$cmd'." "indico db [OPTIONS] COMMAND [ARGS]..." ;; esac
  load_app
  local fn=db_$cmd p
  case $mode in
    core) "$fn" indico ;;
    one)
      [[ " ${ENABLED[*]} " == *" $plugin "* ]] || { echo "Plugin '$plugin' does not exist" >&2; exit 1; }
      index_has_history "$plugin" || { echo "Plugin '$plugin' has no migrations folder" >&2; exit 1; }
      "$fn" "$plugin" ;;
    all)
      for p in "${ENABLED[@]}"; do
        if index_has_history "$p"; then
          echo "executing command for plugin '$p'"
          ( "$fn" "$p" ) || exit $?
        else
          echo "skipping plugin '$p' (no migrations folder)"
        fi
      done ;;
  esac
}

# --- setup, celery ----------------------------------------------------------------------------

cmd_setup() {
  if [[ ${1:-} == create-logging-config ]]; then
    [[ -n ${2:-} ]] || usage_error "Missing argument 'TARGET_DIR'." "indico setup create-logging-config [OPTIONS] TARGET_DIR"
    [[ -d $2 ]] || usage_error "Invalid value for 'TARGET_DIR': Directory '$2' does not exist." "indico setup create-logging-config [OPTIONS] TARGET_DIR"
    local dest=${2%/}/logging.yaml
    [[ -e $dest ]] && { echo "File already exists: $dest" >&2; exit 1; }
    printf 'version: 1\nroot: {level: INFO, handlers: [indico]}\nhandlers:\n  indico: {class: logging.FileHandler, filename: %s/log/indico.log}\n' \
      "$INDICO_ROOT" >"$dest"
    echo "Logging config created: $dest"
    return 0
  fi
  [[ ${1:-} == create-symlinks ]] || usage_error "No such command '${1:-}'." "indico setup [OPTIONS] COMMAND [ARGS]..."
  [[ -n ${2:-} ]] || usage_error "Missing argument 'TARGET_DIR'." "indico setup create-symlinks [OPTIONS] TARGET_DIR"
  load_app
  local target=${2%/}
  [[ -d $target ]] || usage_error "Invalid value for 'TARGET_DIR': Directory '$2' does not exist." "indico setup create-symlinks [OPTIONS] TARGET_DIR"
  mkdir -p "$SP/indico/web/static"
  ln -sfn "$SP/indico/web/static" "$target/static"
  cp -f "$SBX_ROOT/lib/indico.wsgi" "$target/indico.wsgi" # a fresh mtime: uWSGI reloads
}

# The Celery worker: with -B (beat) it records last_ping_version at startup like Indico's
# celery beat does. SIGTERM/SIGINT = warm shutdown (3 s with the fault slow-celery), SIGQUIT = cold.
cmd_celery() {
  [[ ${1:-} == worker ]] || usage_error "No such command '${1:-}'." "indico celery [OPTIONS] COMMAND [ARGS]..."
  shift
  local beat=0 a log=$INDICO_ROOT/log/celery.log version
  for a; do [[ $a == -B || $a == --beat ]] && beat=1; done
  load_app
  version=$(sbx_installed indico)
  exec >>"$log" 2>&1
  echo "[$(date '+%F %T,%3N'): INFO/MainProcess] celery@$(uname -n) v5.4.0 (opalescent) indico $version, pid $$"
  if ((beat)); then
    echo "[$(date '+%F %T,%3N'): INFO/MainProcess] beat: Starting..."
    db_psql -c "INSERT INTO indico.settings (module, name, value)
      VALUES ('celery', 'last_ping_version', to_jsonb('$version'::text)),
             ('celery', 'last_ping', to_jsonb(now()::text))
      ON CONFLICT (module, name) DO UPDATE SET value = EXCLUDED.value" >/dev/null
  fi
  echo "[$(date '+%F %T,%3N'): INFO/MainProcess] celery@$(uname -n) ready."
  warm() {
    echo "[$(date '+%F %T,%3N'): WARNING/MainProcess] worker: Warm shutdown (MainProcess)"
    sbx_fault slow-celery && sleep 3 # tasks still running
    exit 0
  }
  trap warm TERM INT
  trap 'echo "worker: Cold shutdown (MainProcess)"; exit 0' QUIT
  while :; do
    sleep 1 &
    wait $!
  done
}

# --- main -------------------------------------------------------------------------------------

case ${1:-} in
  --version) echo "Indico v$(sbx_installed indico)" ;;
  db) shift; cmd_db "$@" ;;
  setup) shift; cmd_setup "$@" ;;
  celery) shift; cmd_celery "$@" ;;
  '' | --help | -h)
    cat <<'EOF'
Usage: indico [OPTIONS] COMMAND [ARGS]...

  Indico command line interface (sandbox stand-in).

Options:
  --version  Show the version and exit.
  --help     Show this message and exit.

Commands:
  celery  Manage the Celery worker.
  db      Perform database migrations.
  setup   Setup actions for Indico.
EOF
    [[ -n ${1:-} ]] || exit 2 ;;
  *) usage_error "No such command '$1'." ;;
esac
