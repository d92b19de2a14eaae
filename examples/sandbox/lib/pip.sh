#!/bin/bash
# pip (sandbox stand-in): installs "packages" from the local index lib/index.conf into the
# venv's record ROOT/state/installed, filtering releases by the venv's Python version
# (ROOT/state/python) the way pip filters by Requires-Python.
#
#   pip install [-U] PKG[SPEC]...   newest compatible release; with too old a Python it silently
#                                   stays put ("Requirement already satisfied: ..."); a release's
#                                   requirements are upgraded only if needed (indico-plugins can
#                                   pull in a newer indico). Fault fail-pip: any real change fails
#                                   building psycopg2 ("pg_config executable not found"), exit 1.
#   pip show PKG...                 Name:/Version: blocks; exit 1 when none is installed
#   pip list [--format=columns|freeze|json] | pip freeze | pip index versions PKG
#   pip uninstall [-y] PKG... | pip --version
#
# Installing a newer indico or indico-plugins is what makes revisions pending: `indico db
# upgrade` applies the revisions shipped by the installed release.
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PYV=$(sbx_python)
SP=$(sbx_site_packages)

canon() { local n=${1,,}; echo "${n//_/-}"; }

usage_error() {
  printf '\nUsage:   \n  pip %s [options] ...\n\n%s\n' "${CMD:-<command>}" "$1" >&2
  exit 2
}

root_warning() {
  ((EUID == 0)) && echo "WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv" >&2
  return 0
}

# Versions of PKG whose Requires-Python accepts the venv's Python, oldest first.
compatible_versions() {
  local v
  for v in $(index_versions "$1"); do ver_ok "$PYV" "$(index_field "$1" "$v" 4)" && echo "$v"; done
  return 0
}

# best PKG SPEC: the newest compatible version of PKG that satisfies SPEC and whose own
# requirements can be met; empty if none.
best() {
  local v req dep dspec ok d best=''
  for v in $(compatible_versions "$1"); do
    ver_ok "$v" "$2" || continue
    ok=1
    while IFS= read -r req; do
      [[ -z $req ]] && continue
      split_req "$req" dep dspec
      local found=''
      for d in $(compatible_versions "$dep"); do ver_ok "$d" "$dspec" && found=1; done
      [[ -n $found ]] || ok=0
    done < <(tr ';' '\n' <<<"$(index_field "$1" "$v" 5)")
    ((ok)) && best=$v
  done
  echo "$best"
}

# split_req "indico>=3.3.10" NAMEVAR SPECVAR
split_req() {
  [[ $1 =~ ^([A-Za-z0-9_.-]+)(\[[^]]*\])?(.*)$ ]] || return 1
  printf -v "$2" '%s' "$(canon "${BASH_REMATCH[1]}")"
  printf -v "$3" '%s' "${BASH_REMATCH[3]// /}"
}

not_found() { # PKG SPEC
  local v ignored=() avail
  for v in $(index_versions "$1"); do
    ver_ok "$PYV" "$(index_field "$1" "$v" 4)" || ignored+=("$v Requires-Python $(index_field "$1" "$v" 4)")
  done
  if ((${#ignored[@]})); then
    printf 'ERROR: Ignored the following versions that require a different python version: %s\n' \
      "$(printf '%s; ' "${ignored[@]}" | sed 's/; $//')" >&2
  fi
  avail=$(compatible_versions "$1" | paste -sd, - | sed 's/,/, /g')
  echo "ERROR: Could not find a version that satisfies the requirement $1$2 (from versions: ${avail:-none})" >&2
  echo "ERROR: No matching distribution found for $1$2" >&2
  exit 1
}

fail_psycopg2() {
  cat <<'EOF'
Collecting psycopg2==2.9.10 (from indico)
  Downloading psycopg2-2.9.10.tar.gz (385 kB)
  Preparing metadata (setup.py) ... error
EOF
  cat >&2 <<'EOF'
  error: subprocess-exited-with-error
  
  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [23 lines of output]
      running egg_info
      creating /tmp/pip-pip-egg-info-6o7tqs2x/psycopg2.egg-info
      writing /tmp/pip-pip-egg-info-6o7tqs2x/psycopg2.egg-info/PKG-INFO
      writing dependency_links to /tmp/pip-pip-egg-info-6o7tqs2x/psycopg2.egg-info/dependency_links.txt
      writing top-level names to /tmp/pip-pip-egg-info-6o7tqs2x/psycopg2.egg-info/top_level.txt
      writing manifest file '/tmp/pip-pip-egg-info-6o7tqs2x/psycopg2.egg-info/SOURCES.txt'
      
      Error: pg_config executable not found.
      
      pg_config is required to build psycopg2 from source.  Please add the directory
      containing pg_config to the $PATH or specify the full executable path with the
      option:
      
          python setup.py build_ext --pg-config /path/to/pg_config build ...
      
      or with the pg_config option in 'setup.cfg'.
      
      If you prefer to avoid building psycopg2 from source, please install the PyPI
      'psycopg2-binary' package instead.
      
      For further information please check the 'doc/src/install.rst' file (also at
      <https://www.psycopg.org/docs/install.html>).
      
      [end of output]
  
  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed

× Encountered error while generating package metadata.
╰─> See above for output.

note: This is an issue with the package mentioned above, not pip.
hint: See above for details.
EOF
  exit 1
}

# Record PKG at VER; a distribution of plugins also (un)records its indico-plugin-* entries.
record() {
  local p old
  old=$(sbx_installed "$1")
  for p in $(index_plugins "$1" "$old"); do sbx_set_installed "indico-plugin-${p//_/-}" ''; done
  sbx_set_installed "$1" "$2"
  [[ -n $2 ]] && for p in $(index_plugins "$1" "$2"); do sbx_set_installed "indico-plugin-${p//_/-}" "$2"; done
  # Console scripts: indico (and its celery), uwsgi.
  if [[ $1 == indico || $1 == uwsgi ]]; then
    if [[ -n $2 ]]; then sbx_entry_point "$1"; else sbx_entry_point "$1" --remove; fi
  fi
  if [[ $1 == indico && -n $2 ]]; then
    mkdir -p "$SP/indico/web/static"
    echo "__version__ = '$2'" >"$SP/indico/__init__.py"
  fi
}

cmd_install() {
  local upgrade=0 force=0 a reqs=() name spec cur b args=() i
  for a; do # split clusters of short options: -Uq = -U -q
    if [[ $a =~ ^-[A-Za-z]{2,}$ ]]; then
      for ((i = 1; i < ${#a}; i++)); do args+=("-${a:i:1}"); done
    else
      args+=("$a")
    fi
  done
  for a in "${args[@]}"; do
    case $a in
      -U | --upgrade) upgrade=1 ;;
      --force-reinstall) force=1 ;;
      -q | --quiet | -v | --verbose | --no-cache-dir | --no-cache | --disable-pip-version-check | --no-deps) ;;
      --upgrade-strategy=* | --progress-bar=*) ;;
      -*) usage_error "no such option: $a" ;;
      *) reqs+=("$a") ;;
    esac
  done
  ((${#reqs[@]})) || { echo "ERROR: You must give at least one requirement to install (see \"pip help install\")" >&2; exit 1; }

  # Resolve first, change nothing until everything is known to work (like pip).
  local -a todo=() msgs=()
  local -A planned=()
  for a in "${reqs[@]}"; do
    split_req "$a" name spec || usage_error "Invalid requirement: '$a'"
    [[ -n ${planned[$name]:-} ]] && continue
    cur=$(sbx_installed "$name")
    if [[ -n $cur ]] && ((!upgrade && !force)) && ver_ok "$cur" "$spec"; then
      msgs+=("Requirement already satisfied: $name in $SP ($cur)")
      continue
    fi
    [[ -n $(index_versions "$name") ]] || not_found "$name" "$spec"
    b=$(best "$name" "$spec")
    [[ -n $b ]] || not_found "$name" "$spec"
    if [[ $b == "$cur" ]] && ((!force)); then
      msgs+=("Requirement already satisfied: $name in $SP ($cur)")
      continue
    fi
    todo+=("$name $b") planned[$name]=$b
    msgs+=("Collecting $a" "  Downloading $name-$b-py3-none-any.whl.metadata (4.2 kB)")
    # Its requirements: upgraded only if the installed version does not satisfy them.
    local req dep dspec dcur db
    while IFS= read -r req; do
      [[ -z $req ]] && continue
      split_req "$req" dep dspec
      dcur=${planned[$dep]:-$(sbx_installed "$dep")}
      if [[ -n $dcur ]] && ver_ok "$dcur" "$dspec"; then
        msgs+=("Requirement already satisfied: $dep$dspec in $SP (from $name) ($dcur)")
      else
        db=$(best "$dep" "$dspec")
        [[ -n $db ]] || not_found "$dep" "$dspec"
        todo+=("$dep $db") planned[$dep]=$db
        msgs+=("Collecting $dep$dspec (from $name)" "  Downloading $dep-$db-py3-none-any.whl.metadata (4.2 kB)")
      fi
    done < <(tr ';' '\n' <<<"$(index_field "$name" "$b" 5)")
  done

  printf '%s\n' "${msgs[@]}"
  if ((${#todo[@]} == 0)); then root_warning; return 0; fi
  local t
  for t in "${todo[@]}"; do
    [[ $t == indico\ * || $t == indico-plugins\ * ]] && sbx_fault fail-pip && fail_psycopg2
    # EL host: psycopg2 is built from source and needs pg_config, which PGDG installs only in
    # /usr/pgsql-16/bin (here ROOT/usr/pgsql-16/bin), a directory not on PATH by default.
    [[ $t == indico\ * ]] && sbx_fault el-host && [[ ":$PATH:" != *":$SBX_ROOT/usr/pgsql-16/bin:"* ]] &&
      fail_psycopg2
  done

  local names=() done_list=() n v old
  for t in "${todo[@]}"; do
    read -r n v <<<"$t"
    names+=("$n") done_list+=("$n-$v")
  done
  echo "Installing collected packages: $(IFS=,; echo "${names[*]}" | sed 's/,/, /g')"
  for t in "${todo[@]}"; do
    read -r n v <<<"$t"
    old=$(sbx_installed "$n")
    if [[ -n $old ]]; then
      printf '  Attempting uninstall: %s\n    Found existing installation: %s %s\n    Uninstalling %s-%s:\n      Successfully uninstalled %s-%s\n' \
        "$n" "$n" "$old" "$n" "$old" "$n" "$old"
    fi
    record "$n" "$v"
  done
  echo "Successfully installed ${done_list[*]}"
  check_conflicts
  root_warning
}

# After an install, like pip: report installed packages whose requirements are now broken.
check_conflicts() {
  local n v req dep dspec dcur out=()
  while read -r n v; do
    while IFS= read -r req; do
      [[ -z $req ]] && continue
      split_req "$req" dep dspec
      dcur=$(sbx_installed "$dep")
      [[ -n $dcur ]] && ! ver_ok "$dcur" "$dspec" &&
        out+=("$n $v requires $dep$dspec, but you have $dep $dcur which is incompatible.")
    done < <(index_field "$n" "$v" 5 | tr ';' '\n')
  done < <(cat "$STATE/installed")
  ((${#out[@]})) || return 0
  echo "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts." >&2
  printf '%s\n' "${out[@]}" >&2
}

cmd_uninstall() {
  local yes=0 a pkgs=() cur ans
  for a; do
    case $a in -y | --yes) yes=1 ;; -*) usage_error "no such option: $a" ;; *) pkgs+=("$(canon "$a")") ;; esac
  done
  for a in "${pkgs[@]}"; do
    cur=$(sbx_installed "$a")
    if [[ -z $cur ]]; then echo "WARNING: Skipping $a as it is not installed." >&2; continue; fi
    echo "Found existing installation: $a $cur"
    if ((!yes)); then
      printf 'Proceed (Y/n)? '
      read -r ans || ans=n
      [[ -z $ans || $ans == [yY]* ]] || continue
    fi
    echo "Uninstalling $a-$cur:"
    record "$a" ''
    echo "  Successfully uninstalled $a-$cur"
  done
}

cmd_show() {
  local a cur found=0 missing=() first=1 req deps requiredby n v
  for a; do
    a=$(canon "$a")
    cur=$(sbx_installed "$a")
    [[ -z $cur ]] && { missing+=("$a"); continue; }
    ((first)) || echo '---'
    first=0 found=1
    deps=$(index_field "$a" "$cur" 5 | tr ';' '\n' | sed 's/[<>=!].*//' | paste -sd, - | sed 's/,/, /g')
    requiredby=''
    while read -r n v; do
      index_field "$n" "$v" 5 2>/dev/null | tr ';' '\n' | sed 's/[<>=!].*//' | grep -qx "$a" &&
        requiredby+="${requiredby:+, }$n"
    done <"$STATE/installed"
    cat <<EOF
Name: $a
Version: $cur
Summary: $([[ $a == indico* ]] && echo 'Indico is a general-purpose event management system' || echo "The $a package")
Home-page: $([[ $a == indico* ]] && echo 'https://getindico.io' || echo "https://pypi.org/project/$a/")
Author: $([[ $a == indico* ]] && echo 'Indico Team' || echo '')
Author-email: $([[ $a == indico* ]] && echo 'indico-team@cern.ch' || echo '')
License: MIT
Location: $SP
Requires: $deps
Required-by: $requiredby
EOF
  done
  ((${#missing[@]})) && echo "WARNING: Package(s) not found: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')" >&2
  ((found)) || exit 1
}

cmd_list() {
  local w=7 n v fmt=columns a sep=''
  while (($#)); do
    case $1 in
      --format=*) fmt=${1#*=} ;;
      --format) fmt=${2:-}; shift ;;
      -*) ;;
    esac
    shift
  done
  case $fmt in
    freeze) while read -r n v; do echo "$n==$v"; done <"$STATE/installed"; return 0 ;;
    json)
      printf '['
      while read -r n v; do printf '%s{"name": "%s", "version": "%s"}' "$sep" "$n" "$v"; sep=', '; done <"$STATE/installed"
      printf ']\n'
      return 0 ;;
    columns) ;;
    *) usage_error "ERROR: Invalid value for --format: '$fmt' (choose from 'columns', 'freeze', 'json')" ;;
  esac
  while read -r n v; do ((${#n} > w)) && w=${#n}; done <"$STATE/installed"
  printf "%-${w}s %s\n" Package Version
  printf "%s %s\n" "$(printf '%*s' "$w" '' | tr ' ' -)" '-------'
  while read -r n v; do printf "%-${w}s %s\n" "$n" "$v"; done <"$STATE/installed"
}

cmd_index() {
  [[ ${1:-} == versions && -n ${2:-} ]] || usage_error "ERROR: Need an action (versions) and a package name"
  local name vers cur
  name=$(canon "$2")
  echo "WARNING: pip index is currently an experimental command. It may be removed/changed in a future release without prior deprecation." >&2
  vers=$(compatible_versions "$name" | sort -rV | paste -sd, - | sed 's/,/, /g')
  [[ -n $vers ]] || { echo "ERROR: No matching distribution found for $name" >&2; exit 1; }
  echo "$name (${vers%%,*})"
  echo "Available versions: $vers"
  cur=$(sbx_installed "$name")
  if [[ -n $cur ]]; then
    echo "  INSTALLED: $cur"
    echo "  LATEST:    ${vers%%,*}"
  fi
}

CMD=${1:-}
(($#)) && shift
case $CMD in
  install) cmd_install "$@" ;;
  uninstall) cmd_uninstall "$@" ;;
  show) cmd_show "$@" ;;
  list) cmd_list "$@" ;;
  freeze) while read -r n v; do echo "$n==$v"; done <"$STATE/installed" ;;
  index) cmd_index "$@" ;;
  --version | -V) echo "pip $(sbx_installed pip) from $SP/pip (python $(sbx_pyminor))" ;;
  '' | help | --help | -h) echo "Usage: pip <command> [options]   (sandbox stand-in: install, uninstall, show, list, freeze, index)" ;;
  *) echo "ERROR: unknown command \"$CMD\"" >&2; exit 1 ;;
esac
