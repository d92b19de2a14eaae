# up2x.sh: `ordo-sandbox up --v2` and `up --fresh` (sourced by ordo-sandbox, never run).
#
# --v2: an Indico 2.3.5 production host as the 2.3 install guide left it (indico-upgrade.md
#   §1.7): /opt/indico with a Python 2.7 virtualenv (indico 2.3.5, indico-plugins 2.3.1), the
#   DISTRO uWSGI (packages uwsgi + uwsgi-plugin-python, recorded in state/dpkg, removable with
#   the apt-get/yum stand-ins) running as uwsgi.service with its ini in
#   etc/uwsgi/apps-available/indico.ini (EL: etc/uwsgi.ini), indico-celery.service, a 2.x
#   indico.conf (CACHE_BACKEND, PLUGINS with search and vc_vidyo, which 3.x no longer has), the
#   database at the 2.3.5 head with the 2.x plugin schemas, and pyenv's Python 3.12 ready in
#   opt/indico/.pyenv for the new venv.
# --fresh: a new 3.x server prepared per the 3.x install guide up to, not including, the setup
#   wizard: pyenv Python 3.12 and a venv with setuptools, wheel, uwsgi and indico 3.3.11, the
#   unit files and /etc/uwsgi-indico.ini (not started), PostgreSQL with an EMPTY database
#   `indico` that has the unaccent and pg_trgm extensions (`indico db prepare` NOT run). The old
#   server's files, as an admin copies them over, are in ROOT/transfer: indico-2x.dump (a real
#   `pg_dump -Fc` of a 2.3.5 database), indico-2x.conf, and indico-2x-archive/ (owned by the old
#   server's numeric uid/gid 4242, modes 0644/0755 as tar left them).
# Fault hold-lock (both): a stray session idle in transaction on events (lib/stray-session.sh).
# --peer (--v2 and --fresh): the database as on a real server, see peer_enable in ordo-sandbox;
#   with --fresh the EMPTY database is owned by the Indico role (`createdb -O indico indico`)
#   and the old server's dump was made of a database owned by another role (lib/transfer.sh).

V2_PLUGINS="'livesync', 'payment_manual', 'search', 'vc_vidyo'"

# The SQL that brings a database to HISTORY's head at PACKAGE version VER (index.conf), with its
# alembic version table; e.g. sql_history indico indico 2.3.5.
sql_history() {
  local hist=$1 pkg=$2 ver=$3 table rev msg sql last=''
  [[ $hist == indico ]] && table=alembic_version || table=alembic_version_plugin_$hist
  while IFS='|' read -r rev msg sql; do
    echo "$sql;"
    last=$rev
  done < <(index_revs "$hist" "$pkg" "$ver")
  [[ -n $last ]] || return 0
  echo "CREATE TABLE public.$table (version_num varchar(32) NOT NULL, CONSTRAINT ${table}_pkc PRIMARY KEY (version_num));"
  echo "INSERT INTO public.$table VALUES ('$last');"
}

# fill_2x_db DSN WITH_PLUGINS: the 2.3.5 schema (+ livesync and vc_vidyo) and some data.
fill_2x_db() {
  local dsn=$1 plugins=$2
  {
    echo 'CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm;'
    sql_history indico indico 2.3.5
    if ((plugins)); then sql_history livesync indico-plugins 2.3.1; sql_history vc_vidyo indico-plugins 2.3.1; fi
    cat <<'SQL'
INSERT INTO users (email, first_name, last_name, is_admin) VALUES
  ('admin@sandbox.invalid', 'Ada', 'Admin', true),
  ('pierre@sandbox.invalid', 'Pierre', 'Auger', false),
  ('lise@sandbox.invalid', 'Lise', 'Meitner', false);
INSERT INTO events (title, start_dt, end_dt, creator_id, keywords) VALUES
  ('Detector workshop 2019', '2019-05-06 09:00+02', '2019-05-08 18:00+02', 1, '{detector}'),
  ('Collaboration meeting 2020', '2020-02-10 09:00+01', '2020-02-11 17:00+01', 2, '{}'),
  ('Summer school 2020', '2020-07-01 09:00+02', '2020-07-10 17:00+02', 3, '{school,students}');
INSERT INTO attachments (event_id, title, storage_file_id) VALUES
  (1, 'Timetable', 'event/0/1/2/1-timetable.pdf'),
  (1, 'Slides', 'event/0/1/2/2-slides.txt'),
  (2, 'Minutes', 'event/0/2/5/3-minutes.txt');
INSERT INTO indico.settings (module, name, value) VALUES
  ('core', 'site_title', '"Indico 2 sandbox"'),
  ('legacy', 'social_settings', '"(dp0\nS''enabled''\np1\nI01\ns."'),
  ('legacy', 'payment_currencies', '"(lp0\nS''EUR''\np1\na."');
SQL
    if ((plugins)); then
      echo "INSERT INTO plugin_vc_vidyo.vidyo_extensions VALUES (1, 4711, 1);"
      echo "INSERT INTO plugin_livesync.agents (name, backend_name) VALUES ('citadel', 'citadel');"
    fi
  } | "$SBX_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$dsn" >/dev/null
}

# write_2x_conf FILE PORT PLUGINS-LITERAL: indico.conf as the 2.3 setup wizard wrote it.
write_2x_conf() {
  local io=/opt/indico key uri="postgresql://postgres@/indico?host=$ROOT/s&port=$2"
  ((${PEER:-0})) && uri="postgresql:///indico?host=$ROOT/s&port=$2" # no user: the OS user's role
  [[ $MODE == v2 ]] && io=$ROOT/opt/indico
  key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/\(..\)/\\x\1/g')
  cat >"$1" <<CONF
# General settings
SQLALCHEMY_DATABASE_URI = '$uri'
SECRET_KEY = '$key'
BASE_URL = 'https://indico.sandbox.invalid'
USE_PROXY = False
CELERY_BROKER = 'redis://127.0.0.1:6379/0'
REDIS_CACHE_URL = 'redis://127.0.0.1:6379/1'
CACHE_BACKEND = 'redis'
DEFAULT_TIMEZONE = 'Europe/Zurich'
DEFAULT_LOCALE = 'en_GB'
ENABLE_ROOMBOOKING = True
CACHE_DIR = '$io/cache'
TEMP_DIR = '$io/tmp'
LOG_DIR = '$io/log'
STORAGE_BACKENDS = {'default': 'fs:$io/archive'}
ATTACHMENT_STORAGE = 'default'
AUTH_PROVIDERS = {'ldap': {'type': 'ldap', 'title': 'LDAP', 'ldap': {'uri': 'ldaps://ldap.sandbox.invalid'}}}

# Email settings
SMTP_SERVER = ('localhost', 25)
SMTP_USE_TLS = False
SMTP_LOGIN = ''
SMTP_PASSWORD = ''
SUPPORT_EMAIL = 'indico-admin@sandbox.invalid'
PUBLIC_SUPPORT_EMAIL = 'indico-admin@sandbox.invalid'
NO_REPLY_EMAIL = 'noreply@sandbox.invalid'

# Misc settings
STATIC_FILE_METHOD = ('xaccelredirect', {'$io': '/.xsf/indico'})

PLUGINS = $3
CONF
}

# write_archive DIR: the uploaded files the database's attachments point to.
write_archive() {
  mkdir -p "$1/event/0/1/2" "$1/event/0/2/5"
  echo "%PDF-1.4 sandbox timetable" >"$1/event/0/1/2/1-timetable.pdf"
  echo "sandbox slides" >"$1/event/0/1/2/2-slides.txt"
  echo "sandbox minutes" >"$1/event/0/2/5/3-minutes.txt"
}

# The pyenv Python 3.12 the 3.x guide installs in the indico user's home.
write_pyenv() {
  local io=$ROOT/opt/indico d=$ROOT/opt/indico/.pyenv/versions/3.12.4/bin
  mkdir -p "$d" "$io/.pyenv/shims"
  cat >"$d/python3.12" <<W
#!/bin/bash
# python3.12: sandbox stand-in for pyenv's Python 3.12.4 (only --version and -m venv).
SBX_PYENV_VERSION=3.12.4 SBX_PYENV_HOME='$d' exec /bin/bash '$ROOT/lib/python.sh' "\$@"
W
  chmod 755 "$d/python3.12"
  ln -s ../versions/3.12.4/bin/python3.12 "$io/.pyenv/shims/python3.12"
}

write_units_3x() { # the 3.x guide's /etc/uwsgi-indico.ini, units for uWSGI, Celery, the rest
  local io=$ROOT/opt/indico keep=0
  [[ -d $io/etc ]] && keep=1
  mkdir -p "$io/etc"
  [[ -f $io/etc/indico.conf ]] && cp -p "$io/etc/indico.conf" "$ROOT/run/.conf.keep"
  write_config "$SBX_PORT" # writes the ini (and an indico.conf + logging.yaml, undone here)
  if ((keep)); then
    rm -f "$io/etc/logging.yaml.new"
    [[ -f $ROOT/run/.conf.keep ]] && mv -f "$ROOT/run/.conf.keep" "$io/etc/indico.conf"
  else
    rm -rf "$io/etc"
  fi
  write_units
}

up_build_2x() {
  local pgbin i port venv=$ROOT/opt/indico/.venv io=$ROOT/opt/indico plugins=1
  has_fault() { [[ $UP_FAULTS == *" $1 "* ]]; }
  has_fault no-plugins && plugins=0
  pgbin=$(pg_bindir)
  if ((EUID == 0)); then
    ensure_users
    SBX_ROOTMODE=1 SBX_USER=$SBX_USER_NAME PGOWNER=postgres
  else
    SBX_ROOTMODE=0 SBX_USER=$(id -un) PGOWNER=$(id -un)
  fi
  SBX_GROUP=$(id -gn "$SBX_USER")
  chmod 755 "$ROOT"
  mkdir -p "$ROOT/usr/pgsql-16/bin"
  printf '#!/bin/sh\necho "PostgreSQL 16.4"\n' >"$ROOT/usr/pgsql-16/bin/pg_config"
  for i in psql pg_dump pg_restore pg_isready; do ln -s "$pgbin/$i" "$ROOT/usr/pgsql-16/bin/$i"; done
  chmod 755 "$ROOT/usr" "$ROOT/usr/pgsql-16" "$ROOT/usr/pgsql-16/bin" "$ROOT/usr/pgsql-16/bin/pg_config"
  mkdir -p "$ROOT"/{bin,lib,run/systemd/loaded,state/faults,backup,s,usr/bin} \
    "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/usr/lib/systemd/system" "$venv/bin"
  echo "$MODE" >"$ROOT/state/mode"
  local shm=${ORDO_SBX_SHM_DIR:-/dev/shm}
  if [[ -z ${ORDO_SBX_PG_ON_DISK:-} && -d $shm && -w $shm ]]; then
    ln -s "$(mktemp -d "$shm/ordo-sbx-pg.XXXXXX")" "$ROOT/pg"
  else
    mkdir "$ROOT/pg"
  fi
  ((EUID == 0)) && chown "$PGOWNER" "$ROOT/pg/" "$ROOT/s"
  chmod 700 "$ROOT/pg/"
  as_pg "$pgbin/initdb" -D "$ROOT/pg" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
    >"$ROOT/run/initdb.log" 2>&1 &
  local initdb_pid=$!

  cp "$HERE"/lib/*.sh "$HERE"/lib/index.conf "$HERE"/lib/indico.wsgi "$ROOT/lib/"
  chmod 755 "$ROOT"/lib/*.sh
  cat >"$ROOT/bin/systemctl" <<W
#!/bin/bash
# systemctl: sandbox stand-in managing this sandbox's units; implementation in $ROOT/lib/systemctl.sh.
exec /bin/bash '$ROOT/lib/systemctl.sh' "\$@"
W
  chmod 755 "$ROOT/bin/systemctl"
  for i in psql pg_dump pg_restore pg_isready; do ln -s "$pgbin/$i" "$ROOT/bin/$i"; done
  write_pyenv

  wait "$initdb_pid" || { cat "$ROOT/run/initdb.log" >&2; die "initdb failed"; }
  for i in 1 2 3 4 5 6; do
    port=$((20000 + RANDOM % 30000))
    port_in_use "$port" && continue
    as_pg "$pgbin/pg_ctl" -D "$ROOT/pg" -l "$ROOT/pg/server.log" -w -t 30 -o "-k $ROOT/s -p $port \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1 && break
    ((i == 6)) && { cat "$ROOT/pg/server.log" >&2; die "PostgreSQL did not start"; }
  done
  cat >"$ROOT/sandbox.env" <<W
# Written by ordo-sandbox up; sourced by the stand-ins in lib/.
SBX_PORT=$port
SBX_PGBIN=$pgbin
SBX_USER=$SBX_USER
SBX_GROUP=$SBX_GROUP
SBX_ROOTMODE=$SBX_ROOTMODE
SBX_PEER=$PEER
W
  SBX_PORT=$port SBX_PGBIN=$pgbin
  INDEX=$ROOT/lib/index.conf
  # shellcheck source=common.sh
  . "$ROOT/lib/common.sh" # index_revs, sbx_entry_point, ... for this sandbox
  local pq="host=$ROOT/s port=$port user=postgres"
  "$pgbin/psql" -X -q -d "$pq dbname=template1" -c 'ALTER DATABASE postgres RENAME TO indico' >/dev/null
  "$pgbin/psql" -X -q -d "$pq dbname=template1" -c 'CREATE DATABASE postgres' >/dev/null &
  local createdb_pid=$!
  # The DSN the 2.x schema is created through: with --peer the Indico role's (as `indico db
  # prepare` run by the Indico user made it), through the admin connection with SET ROLE; the
  # extensions first, as postgres, as the install guide does.
  local fill_dsn="$pq dbname=indico"
  if ((PEER)); then
    peer_enable "$port" "$pgbin"
    "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$(admin_dsn "$ROOT" "$port" 1)" \
      -c 'CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm;' >/dev/null || die "extensions failed"
    fill_dsn="$(admin_dsn "$ROOT" "$port" 1) options='-c role=$SBX_USER -c client_min_messages=warning'"
  fi

  local plist="{$V2_PLUGINS}"
  ((plugins)) || plist='set()'
  if [[ $MODE == v2 ]]; then
    # The Python 2.7 venv with Indico 2.3.5 (+ plugins), the 2.x tree.
    echo 2.7.18 >"$ROOT/state/python"
    {
      echo "pip 20.3.4"; echo "setuptools 44.1.1"; echo "wheel 0.37.1"; echo "indico 2.3.5"
      if ((plugins)); then
        echo "indico-plugins 2.3.1"
        for i in $(sed -n 's/^plugins2|indico-plugins|//p' "$INDEX"); do echo "indico-plugin-${i//_/-} 2.3.1"; done
      fi
    } | sort >"$ROOT/state/installed"
    mkdir -p "$io"/{etc,web,archive,log,tmp,cache} "$venv/lib/python2.7/site-packages/indico/web/static"
    printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 2.7.18\n' >"$venv/pyvenv.cfg"
    echo "__version__ = '2.3.5'" >"$venv/lib/python2.7/site-packages/indico/__init__.py"
    sbx_entry_point python; sbx_entry_point pip; sbx_entry_point indico
    ln -s python "$venv/bin/python2"; ln -s python "$venv/bin/python2.7"
    printf '%s\n' '# This file must be used with "source bin/activate" (sandbox venv).' \
      "VIRTUAL_ENV='$venv'; export VIRTUAL_ENV" 'PATH="$VIRTUAL_ENV/bin:$PATH"; export PATH' >"$venv/bin/activate"
    write_2x_conf "$io/etc/indico.conf" "$port" "$plist"
    has_fault missing-plugin && sed -i "s/^PLUGINS = {\(.*\)}/PLUGINS = {\1, 'vc_dummy'}/" "$io/etc/indico.conf"
    printf 'version: 1\nroot: {level: INFO, handlers: [indico]}\nhandlers:\n  indico: {class: logging.FileHandler, filename: %s/log/indico.log}\n' \
      "$io" >"$io/etc/logging.yaml"
    cp "$HERE/lib/indico.wsgi" "$io/web/indico.wsgi"
    ln -s "$venv/lib/python2.7/site-packages/indico/web/static" "$io/web/static"
    ln -s etc/indico.conf "$io/.indico.conf"
    write_archive "$io/archive"
    : >"$io/log/indico.log"; : >"$io/log/celery.log"; : >"$io/log/uwsgi.log"
    fill_2x_db "$fill_dsn" "$plugins" || die "2.x schema failed"
    write_distro_uwsgi
  else
    # fresh: the venv per the 3.x guide (Indico installed a while ago: 3.3.11), no wizard yet.
    echo 3.12.4 >"$ROOT/state/python"
    printf '%s\n' "pip 24.0" "setuptools 69.5.1" "uwsgi 2.0.28" "wheel 0.43.0" >"$ROOT/state/installed"
    SBX_PYENV_VERSION=3.12.4 SBX_PYENV_HOME=$io/.pyenv/versions/3.12.4/bin \
      /bin/bash "$ROOT/lib/python.sh" -m venv "$venv" >/dev/null || die "venv failed"
    printf '%s\n' "pip 24.0" "setuptools 69.5.1" "uwsgi 2.0.28" "wheel 0.43.0" >"$ROOT/state/installed"
    sbx_entry_point uwsgi
    /bin/bash "$ROOT/lib/pip.sh" install indico==3.3.11 >/dev/null 2>&1 || die "pip install indico failed"
    # The install guide's extensions, created by postgres (with --peer: above, over TCP).
    ((PEER)) || "$pgbin/psql" -X -q -d "$pq dbname=indico" \
      -c 'CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm;' >/dev/null
    write_transfer "$pq" "$plugins" "$plist" # the old server's files (lib/transfer.sh)
  fi
  local fault
  for fault in "${FAULTS_ALL[@]}"; do has_fault "$fault" && : >"$ROOT/state/faults/$fault"; done

  if ((EUID == 0)); then
    chown -R "$SBX_USER:$SBX_GROUP" "$io" "$ROOT/state" "$ROOT/backup"
    [[ $MODE == v2 ]] && chown -h "$SBX_USER:$SBX_GROUP" "$io/.indico.conf" "$io/web/static"
  fi
  if [[ $MODE == v2 ]]; then
    chmod 710 "$io" "$io/archive" "$io/cache" "$io/log" "$io/tmp"
    chmod 750 "$io/web" "$venv"
    find "$io/archive" -type f -exec chmod 640 {} + -o -type d -exec chmod 710 {} +
  else
    chmod 755 "$io"
  fi
  # Where the uWSGI stand-in keeps its worker list when its unit has no RuntimeDirectory= (the
  # 3.x guide's indico-uwsgi.service, written by the plans, has none).
  mkdir -p "$ROOT/run/indico-uwsgi"
  ((EUID == 0)) && chown "$SBX_USER:$SBX_GROUP" "$ROOT/run/indico-uwsgi"
  wait "$createdb_pid" || die "CREATE DATABASE postgres failed"
  write_units_3x
  ((EUID == 0)) && [[ -d $io/etc ]] && chown -R "$SBX_USER:$SBX_GROUP" "$io/etc"
  if [[ $MODE == v2 ]]; then
    rm -f "$ROOT/etc/systemd/system/indico-uwsgi.service" "$ROOT/etc/uwsgi-indico.ini"
    sed -i "s|^Group=.*|Group=$SBX_GROUP|" "$ROOT/etc/systemd/system/indico-celery.service"
  fi
  "$ROOT/bin/systemctl" daemon-reload
  local units=(postgresql.service nginx.service redis-server.service)
  [[ $MODE == v2 ]] && units+=(uwsgi.service indico-celery.service)
  for i in "${units[@]}"; do
    ln -s "$(ls "$ROOT"/etc/systemd/system/"$i" "$ROOT"/usr/lib/systemd/system/"$i" 2>/dev/null | head -n1)" \
      "$ROOT/etc/systemd/system/multi-user.target.wants/$i"
  done
  "$ROOT/bin/systemctl" start "${units[@]}" || die "starting the units failed"
  if has_fault hold-lock; then
    setsid /bin/bash "$ROOT/lib/stray-session.sh" </dev/null >>"$ROOT/run/stray-session.log" 2>&1 &
    echo $! >"$ROOT/run/stray-session.pid"
    if [[ $MODE == v2 ]]; then # it holds its lock before up returns
      for i in $(seq 1 100); do [[ -e $ROOT/state/hold-lock.used ]] && break; sleep 0.05; done
      sleep 0.2
    fi
  fi
}

# The distro uWSGI of the 2.3 guide: Debian's packages (EL with the fault el-host).
write_distro_uwsgi() {
  local io=$ROOT/opt/indico ini plugpkg=uwsgi-plugin-python initd=etc/init.d/uwsgi
  mkdir -p "$ROOT/usr/lib/uwsgi/plugins" "$ROOT/etc/init.d"
  cat >"$ROOT/usr/bin/uwsgi" <<W
#!/bin/bash
# uwsgi: sandbox stand-in for the distro's /usr/bin/uwsgi (package uwsgi); see lib/uwsgi.sh.
exec /bin/bash '$ROOT/lib/uwsgi.sh' "\$@"
W
  for i in apt-get yum; do
    printf '#!/bin/bash\n# %s: sandbox stand-in (package removal only); see lib/apt-get.sh.\nexec /bin/bash %q "$@"\n' \
      "$i" "$ROOT/lib/apt-get.sh" >"$ROOT/usr/bin/$i"
  done
  chmod 755 "$ROOT/usr/bin/uwsgi" "$ROOT/usr/bin/apt-get" "$ROOT/usr/bin/yum"
  echo 'ELF sandbox uWSGI python plugin' >"$ROOT/usr/lib/uwsgi/plugins/python_plugin.so"
  printf '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: uwsgi\n### END INIT INFO\n' >"$ROOT/$initd"
  if [[ $UP_FAULTS == *" el-host "* ]]; then
    ini=$ROOT/etc/uwsgi.ini plugpkg=uwsgi-plugin-python2 initd=''
    mkdir -p "$ROOT/etc/systemd/system/uwsgi.service.d"
    printf '[Service]\nExecStart=\nExecStart=%s/usr/bin/uwsgi --ini %s\n' "$ROOT" "$ini" \
      >"$ROOT/etc/systemd/system/uwsgi.service.d/old-exec-start.conf"
  else
    mkdir -p "$ROOT/etc/uwsgi/apps-available" "$ROOT/etc/uwsgi/apps-enabled"
    ini=$ROOT/etc/uwsgi/apps-available/indico.ini
    ln -s ../apps-available/indico.ini "$ROOT/etc/uwsgi/apps-enabled/indico.ini"
  fi
  cat >"$ini" <<W
[uwsgi]
uid = $SBX_USER
gid = $SBX_GROUP
umask = 027
processes = 2
enable-threads = true
socket = 127.0.0.1:8008
stats = /opt/indico/web/uwsgi-stats.sock
protocol = uwsgi
master = true
auto-procname = true
procname-prefix-spaced = indico
disable-logging = true
plugin = python
single-interpreter = true
touch-reload = $io/web/indico.wsgi
wsgi-file = $io/web/indico.wsgi
virtualenv = $io/.venv
vacuum = true
buffer-size = 20480
memory-report = true
max-requests = 2500
harakiri = 900
harakiri-verbose = true
reload-on-rss = 2048
evil-reload-on-rss = 8192
logto = $io/log/uwsgi.log
W
  # The package's unit (Debian: the LSB wrapper's; EL: the package unit plus the guide's drop-in,
  # folded in here as the stand-in systemctl reads no drop-ins).
  local ini_run=$ROOT/etc/uwsgi/apps-enabled/indico.ini
  [[ $UP_FAULTS == *" el-host "* ]] && ini_run=$ini
  cat >"$ROOT/usr/lib/systemd/system/uwsgi.service" <<W
[Unit]
Description=LSB: Start/stop uWSGI server instance(s)
SourcePath=/etc/init.d/uwsgi

[Service]
ExecStart=$ROOT/usr/bin/uwsgi --ini $ini_run
ExecReload=/bin/kill -HUP \$MAINPID
User=$SBX_USER
Group=$SBX_GROUP
Type=notify
KillSignal=SIGQUIT
TimeoutStopSec=30
RuntimeDirectory=uwsgi

[Install]
WantedBy=multi-user.target
W
  {
    echo "uwsgi 2.0.18-1 usr/bin/uwsgi usr/lib/systemd/system/uwsgi.service${initd:+ $initd}"
    echo "$plugpkg 2.0.18-1 usr/lib/uwsgi/plugins/python_plugin.so"
  } >"$ROOT/state/dpkg"
}
