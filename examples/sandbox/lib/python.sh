#!/bin/bash
# python (sandbox stand-in): the venv's interpreter, only as far as scripts ask it things.
#   python --version | -V                  "Python 3.12.4" (ROOT/state/python; 3.9 with old-python)
#   python -m pip ARGS...                  the pip stand-in
#   python -c '...indico.__version__...'   the installed Indico version
#   python -c '...sys.version_info...'     "3.12" style major.minor
# Anything else fails: this is not a Python interpreter.
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A pyenv interpreter (ROOT/opt/indico/.pyenv/versions/V/bin/python3.X runs this file with
# SBX_PYENV_VERSION=V): --version, and `-m venv [--upgrade-deps] [--clear] [--prompt P] DIR` for
# the Indico venv DIR, which gets a fresh record of installed packages (pip only).
if [[ -n ${SBX_PYENV_VERSION:-} ]]; then
  case ${1:-} in
    --version | -V) echo "Python $SBX_PYENV_VERSION"; exit 0 ;;
    -m) [[ ${2:-} == venv ]] || { echo "sandbox python stand-in (pyenv): only -m venv" >&2; exit 1; } ;;
    *) echo "sandbox python stand-in (pyenv): only --version and -m venv" >&2; exit 1 ;;
  esac
  shift 2
  clear=0 dir=''
  while (($#)); do
    case $1 in
      --upgrade-deps | --without-pip=no | --copies | --symlinks) ;;
      --clear) clear=1 ;;
      --prompt) shift ;;
      --prompt=*) ;;
      -*) echo "usage: venv [-h] [--system-site-packages] [--symlinks | --copies] [--clear] [--upgrade] [--without-pip] [--prompt PROMPT] [--upgrade-deps] ENV_DIR [ENV_DIR ...]" >&2
          echo "venv: error: unrecognized arguments: $1" >&2; exit 2 ;;
      *) dir=$1 ;;
    esac
    shift
  done
  [[ -n $dir ]] || { echo "venv: error: the following arguments are required: ENV_DIR" >&2; exit 2; }
  [[ $(realpath -m "$dir") == "$(realpath -m "$VENV")" ]] ||
    { echo "sandbox python stand-in: only the Indico venv $VENV can be created here" >&2; exit 1; }
  minor=${SBX_PYENV_VERSION%.*}
  if ((clear)) || [[ ! -f $VENV/pyvenv.cfg ]]; then
    rm -rf "${VENV:?}"/bin "$VENV"/lib
    tmp=$(mktemp "$STATE/.installed.XXXXXX")
    echo "pip 24.0" >"$tmp"
    chmod 644 "$tmp"
    mv -f "$tmp" "$STATE/installed"
  fi
  mkdir -p "$VENV/bin" "$VENV/lib/python$minor/site-packages"
  echo "$SBX_PYENV_VERSION" >"$STATE/python"
  printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\nprompt = indico\n' \
    "${SBX_PYENV_HOME:-}" "$SBX_PYENV_VERSION" >"$VENV/pyvenv.cfg"
  sbx_entry_point python
  sbx_entry_point pip
  ln -sfn python "$VENV/bin/python3"
  ln -sfn python "$VENV/bin/python$minor"
  ln -sfn pip "$VENV/bin/pip3"
  printf '%s\n' '# This file must be used with "source bin/activate" (sandbox venv).' \
    'deactivate() { PATH=${_OLD_VIRTUAL_PATH:-$PATH}; export PATH; unset VIRTUAL_ENV _OLD_VIRTUAL_PATH; unset -f deactivate; }' \
    "VIRTUAL_ENV='$VENV'; export VIRTUAL_ENV" \
    '_OLD_VIRTUAL_PATH=$PATH; PATH="$VIRTUAL_ENV/bin:$PATH"; export PATH' >"$VENV/bin/activate"
  exit 0
fi

case ${1:-} in
  --version | -V) echo "Python $(sbx_python)" ;;
  -m)
    [[ ${2:-} == pip ]] || { echo "$VENV/bin/python: No module named ${2:-}" >&2; exit 1; }
    shift 2
    exec /bin/bash "$SBX_ROOT/lib/pip.sh" "$@" ;;
  -c)
    code=${2:-}
    if [[ $code == *indico.__version__* ]]; then
      v=$(sbx_installed indico)
      [[ -n $v ]] || { printf 'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nModuleNotFoundError: No module named '\''indico'\''\n' >&2; exit 1; }
      echo "$v"
    elif [[ $code == *sys.version_info* || $code == *sys.version* ]]; then
      sbx_pyminor
    else
      echo "sandbox python stand-in: cannot run: $code" >&2
      exit 1
    fi ;;
  *) echo "sandbox python stand-in: only --version, -m pip and -c with indico.__version__/sys.version_info" >&2
     exit 1 ;;
esac
