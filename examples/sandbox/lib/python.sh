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
