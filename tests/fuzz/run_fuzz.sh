#!/usr/bin/env bash
# Runs the plan-loader fuzz target (README.md) for SECONDS (default 60) on one core, starting
# from the seed corpus: every plan of the tree (tests/bad_plans, plans, examples, golden inputs)
# plus tests/fuzz/seeds (inputs that once crashed). New corpus entries go to CORPUS_DIR
# (default: a temporary directory, removed afterwards); crash/leak/timeout reproducers to
# ARTIFACT_DIR (default: <build>/fuzz-artifacts). Exit status: libFuzzer's (0: no finding).
# Prints `ordo-test: N passed, M failed` last (1 check: no finding).
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS] [extra libFuzzer flags...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS] [libFuzzer flags...]}
secs=${2:-60}
shift $(($# >= 2 ? 2 : 1))
target=$build/tests/fuzz/ordo-fuzz-plan
[ -x "$target" ] || { echo "no $target (meson setup --native-file tests/fuzz/clang.ini -Dfuzz=true)" >&2; exit 2; }

corpus=${CORPUS_DIR:-}
tmp=
if [ -z "$corpus" ]; then
  tmp=$(mktemp -d /tmp/ordo-fuzz-corpus.XXXXXX)
  corpus=$tmp
  trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$corpus"
seeds=$(mktemp -d /tmp/ordo-fuzz-seeds.XXXXXX)
trap 'rm -rf "$seeds" ${tmp:+"$tmp"}' EXIT
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$seeds/seed-$n.toml"
done < <(find "$root/tests/bad_plans" "$root/plans" "$root/examples" "$root/tests/golden" \
  "$here/seeds" -type f \( -name '*.toml' -o -name '*.seed' \) -print0 2>/dev/null)
artifacts=${ARTIFACT_DIR:-$build/fuzz-artifacts}
mkdir -p "$artifacts"

# -timeout: one input taking longer is a hang (a finding); -rss_limit_mb: a blow-up is one too.
# ASan's leak check runs at exit and after each input that leaked (-detect_leaks=1).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
"$target" "$corpus" "$seeds" -dict="$here/toml.dict" -max_total_time="$secs" -timeout=10 \
  -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/" "$@"
rc=$?
if [ $rc = 0 ]; then
  echo "fuzz: $secs s, no crash, leak, UB report or hang ($n seed files)"
  echo "ordo-test: 1 passed, 0 failed"
else
  echo "fuzz: FINDING (exit $rc); reproducer in $artifacts/:" >&2
  ls -t "$artifacts" | head -3 >&2
  echo "ordo-test: 0 passed, 1 failed"
fi
exit $rc
