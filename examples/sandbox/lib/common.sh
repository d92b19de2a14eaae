# common.sh: helpers shared by the sandbox stand-ins (sourced, never run).
#
# Every stand-in (systemctl, uwsgi, pip, indico, python) lives in ROOT/lib/ and sources this
# file. It loads ROOT/sandbox.env (written once by `ordo-sandbox up`), then offers:
#   - paths: SBX_ROOT, INDICO_ROOT, VENV, STATE, INDEX, SBX_DSN (libpq conninfo as postgres:
#     the socket, or with `up --peer` TCP on 127.0.0.1, where the socket admits only the Indico user)
#   - sbx_psql ARGS...: psql against the sandbox's database (quiet, unaligned, no psqlrc)
#   - faults: sbx_fault NAME (true when ROOT/state/faults/NAME exists)
#   - the venv: sbx_python, sbx_site_packages, sbx_installed PKG, sbx_set_installed PKG VER
#   - versions: ver_le A B, ver_ok VERSION SPEC ("">=3.12.2,<3.13")
#   - the index: index_versions PKG, index_field PKG VER N, index_revs HISTORY PACKAGE MAXVER
# State files are small text files rewritten atomically (temp file + mv in the same dir).

# The wrappers run lib/*.sh by absolute path, so ROOT is BASH_SOURCE minus /lib/common.sh.
SBX_ROOT=${BASH_SOURCE[0]%/lib/common.sh}
[[ $SBX_ROOT == /* ]] || SBX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=/dev/null
. "$SBX_ROOT/sandbox.env"
INDICO_ROOT=$SBX_ROOT/opt/indico
VENV=$INDICO_ROOT/.venv
STATE=$SBX_ROOT/state
INDEX=$SBX_ROOT/lib/index.conf
if [[ ${SBX_PEER:-0} == 1 ]]; then
  SBX_DSN="host=127.0.0.1 port=$SBX_PORT user=postgres dbname=indico sslmode=disable"
else
  SBX_DSN="host=$SBX_ROOT/s port=$SBX_PORT user=postgres dbname=indico sslmode=disable"
fi

sbx_psql() { "$SBX_PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$SBX_DSN" "$@"; }

sbx_fault() { [[ -e $STATE/faults/$1 ]]; }

sbx_python() { local v; read -r v <"$STATE/python"; echo "$v"; }
sbx_pyminor() { local v; read -r v <"$STATE/python"; echo "${v%.*}"; }
sbx_site_packages() { local v; read -r v <"$STATE/python"; echo "$VENV/lib/python${v%.*}/site-packages"; }

# The installed version of PKG (empty if not installed). $STATE/installed holds "name version".
sbx_installed() {
  local n v
  while read -r n v; do [[ $n == "$1" ]] && { echo "$v"; return 0; }; done <"$STATE/installed"
  return 0
}

# Record PKG at VER (VER empty: uninstall). Keeps the file sorted by name.
sbx_set_installed() {
  local tmp n v
  tmp=$(mktemp "$STATE/.installed.XXXXXX")
  while read -r n v; do [[ $n == "$1" ]] || echo "$n $v"; done <"$STATE/installed" >"$tmp"
  [[ -n $2 ]] && echo "$1 $2" >>"$tmp"
  sort -o "$tmp" "$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$STATE/installed"
}

# ver_le A B: true when version A <= version B. Dotted numbers are compared in bash (these
# run in loops; no forks); anything else falls back to sort -V.
ver_le() {
  if [[ $1 =~ ^[0-9]+(\.[0-9]+)*$ && $2 =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
    local -a a b
    local i x y
    IFS=. read -r -a a <<<"$1"
    IFS=. read -r -a b <<<"$2"
    for ((i = 0; i < ${#a[@]} || i < ${#b[@]}; i++)); do
      x=$((10#${a[i]:-0})) y=$((10#${b[i]:-0}))
      ((x < y)) && return 0
      ((x > y)) && return 1
    done
    return 0
  fi
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]
}

# ver_ok VERSION SPEC: true when VERSION satisfies every comma-separated clause of SPEC.
ver_ok() {
  local v=$1 clause op want
  local IFS=,
  for clause in $2; do
    clause=${clause// /}
    [[ -z $clause ]] && continue
    [[ $clause =~ ^(\>=|\<=|==|!=|\>|\<)(.+)$ ]] || return 1
    op=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
    case $op in
      '>=') ver_le "$want" "$v" || return 1 ;;
      '<=') ver_le "$v" "$want" || return 1 ;;
      '==') [[ $v == "$want" ]] || return 1 ;;
      '!=') [[ $v != "$want" ]] || return 1 ;;
      '>') { ver_le "$v" "$want"; } && return 1 ;;
      '<') { ver_le "$want" "$v"; } && return 1 ;;
    esac
  done
  return 0
}

# All versions of PKG in the index, oldest first.
index_versions() {
  local kind p v rest
  while IFS='|' read -r kind p v rest; do
    [[ $kind == release && $p == "$1" ]] && echo "$v"
  done <"$INDEX" | sort -V
}

# index_field PKG VER N: field N (4 = requires_python, 5 = requires) of a release line.
index_field() {
  local -a f
  while IFS='|' read -r -a f; do
    [[ ${f[0]:-} == release && ${f[1]} == "$1" && ${f[2]} == "$2" ]] && { echo "${f[$(($3 - 1))]:-}"; return 0; }
  done <"$INDEX"
  return 1
}

# The plugins a distribution installs (space separated), e.g. index_plugins indico-plugins 3.3.6;
# the `plugins2` line for its 2.x releases. VERSION defaults to the installed one.
index_plugins() {
  local kind p names want=plugins ver=${2-$(sbx_installed "$1")}
  [[ $ver == 2.* ]] && want=plugins2
  while IFS='|' read -r kind p names; do
    [[ $kind == "$want" && $p == "$1" ]] && echo "$names"
  done <"$INDEX"
  return 0
}

# sbx_entry_point NAME: write the venv's bin/NAME, a wrapper running lib/NAME.sh (what pip
# installs as a console script on a real host); sbx_entry_point NAME --remove deletes it.
sbx_entry_point() {
  local f=$VENV/bin/$1
  if [[ ${2:-} == --remove ]]; then rm -f "$f"; return 0; fi
  mkdir -p "$VENV/bin"
  printf '%s\n' '#!/bin/bash' \
    "# $1: sandbox stand-in for the venv's $1 (a Python entry point on a real host)." \
    "# The implementation is $SBX_ROOT/lib/$1.sh; see examples/sandbox/README.md in the ordo repository." \
    "exec /bin/bash '$SBX_ROOT/lib/$1.sh' \"\$@\"" >"$f"
  chmod 755 "$f"
}

# index_revs HISTORY PACKAGE MAXVER: the revisions of HISTORY shipped by PACKAGE <= MAXVER, in
# chain order, as "REVISION|MESSAGE|SQL" lines. Empty MAXVER: none.
index_revs() {
  local kind hist pkg rel rev msg sql
  [[ -z $3 ]] && return 0
  while IFS='|' read -r kind hist pkg rel rev msg sql; do
    [[ $kind == rev && $hist == "$1" && $pkg == "$2" ]] || continue
    ver_le "$rel" "$3" && echo "$rev|$msg|$sql"
  done <"$INDEX"
}

# True when HISTORY has any revision at all in the index (a plugin "migrations folder").
index_has_history() { grep -q "^rev|$1|" "$INDEX"; }

# A uWSGI-style log timestamp.
sbx_now() { printf '%(%a %b %e %T %Y)T\n' -1; }
