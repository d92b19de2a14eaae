#!/usr/bin/env bash
# Golden tests of the `ordo` command line: each tests/golden/cli/NAME.cmd holds the arguments
# (one line, word-split by the shell, run from the source root); NAME.out holds the expected
# stdout and stderr (interleaved as written) followed by a line "exit: N".
# UPDATE_GOLDEN=1 rewrites the .out files (review the diff before committing!).
set -uo pipefail
root=${ORDO_SOURCE_ROOT:?}
ordo=${ORDO_BIN:?}
cd "$root"
pass=0 fail=0
for cmd in tests/golden/cli/*.cmd; do
  name=${cmd%.cmd}
  args=$(cat "$cmd")
  # shellcheck disable=SC2086
  actual=$(NO_COLOR=1 "$ordo" $args 2>&1; echo "exit: $?")
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
    printf '%s\n' "$actual" > "$name.out"
  fi
  if [ "$actual" == "$(cat "$name.out" 2>/dev/null)" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: ordo $args"
    diff -u "$name.out" <(printf '%s\n' "$actual") | head -40
  fi
done
echo "ordo-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
