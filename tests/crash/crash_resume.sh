#!/usr/bin/env bash
# Crash test of the journal and `ordo resume`: a plan of 30 chained shell steps, each appending
# its id to a ledger file. Each trial starts `ordo run`, kills it with SIGKILL after a random
# 0-80 ms, then runs `ordo resume` until the run has finished (with --kill-resumes, resumes are
# killed at random too). Then every step's id must be in the ledger, in order, and the only
# duplicates allowed are one consecutive repeat per kill (the step in flight when it came), and
# no process of the run may be left at the end (ordo resume stops what a killed ordo left).
#
# usage: crash_resume.sh [TRIALS] [PARALLEL] [--kill-resumes]
# The test suite runs 50 trials, 2 at a time; run more by hand, e.g. `crash_resume.sh 500 2
# --kill-resumes`. Prints `ordo-test: N passed, M failed`; failed trials' dirs are kept.
set -u
ordo=${ORDO_BIN:?set ORDO_BIN to the ordo binary}
trials=${1:-50}
parallel=${2:-2}
kill_resumes=0
[ "${3:-}" = "--kill-resumes" ] && kill_resumes=1
work=$(mktemp -d /tmp/ordo-crash.XXXXXX)

plan() {
  echo '[plan]'
  echo 'name = "crash-chain"'
  for i in $(seq -w 1 30); do
    echo
    echo "[steps.s$i]"
    echo 'kind = "shell"'
    echo "script = \"echo s$i >> ledger.txt\""
    [ "$i" != 01 ] && printf 'requires = ["s%02d"]\n' $((10#$i - 1))
  done
}

# Runs `ordo ARGS` in the background and SIGKILLs it after 0-80 ms (if still running).
# Sets KILLED=1 when it was killed, RC to its exit status.
run_and_kill() {
  "$ordo" "$@" --state-dir st --no-report --no-color >>out.txt 2>&1 &
  local pid=$!
  sleep "0.0$(printf '%02d' $((RANDOM % 81)))"
  KILLED=0
  kill -9 "$pid" 2>/dev/null && KILLED=1
  { wait "$pid"; } 2>/dev/null
  RC=$?
  [ "$RC" = 137 ] || KILLED=0  # it had already ended on its own
}

trial() {  # trial N: prints "ok N" or "FAIL N: why"
  local n=$1 dir="$work/t$1"
  mkdir -p "$dir" && cd "$dir" || return
  plan >plan.toml
  local kills=0 rounds=0
  run_and_kill run plan.toml
  kills=$((kills + KILLED))
  local at=0
  [ -f ledger.txt ] && at=$(wc -l <ledger.txt)
  while :; do
    rounds=$((rounds + 1))
    [ $rounds -gt 60 ] && { echo "FAIL $n: not finished after 60 resumes"; return; }
    if [ $kill_resumes = 1 ] && [ $((RANDOM % 2)) = 0 ]; then
      run_and_kill resume plan.toml
      kills=$((kills + KILLED))
      [ "$KILLED" = 1 ] && continue
    else
      "$ordo" resume plan.toml --state-dir st --no-report --no-color >>out.txt 2>&1
      RC=$?
    fi
    case $RC in
      0) break ;;
      3) # killed before its journal had a record: nothing to resume, run it again
        if grep -q "nothing to resume" out.txt && ! grep -q "Nothing to resume" out.txt; then
          "$ordo" run plan.toml --state-dir st --no-report --no-color >>out.txt 2>&1 || {
            echo "FAIL $n: ordo run after a resume with nothing to resume: rc $?"; return; }
          break
        fi
        echo "FAIL $n: resume refused (rc 3)"; return ;;
      *) echo "FAIL $n: resume exited $RC"; return ;;
    esac
  done
  # The ledger: s01..s30 in order; consecutive repeats allowed, at most one per kill.
  local expect=1 dups=0 prev="" line
  while read -r line; do
    if [ "$line" = "$prev" ]; then dups=$((dups + 1)); continue; fi
    local want
    want=$(printf 's%02d' $expect)
    [ "$line" = "$want" ] || { echo "FAIL $n: ledger has $line where $want was due"; return; }
    prev=$line
    expect=$((expect + 1))
  done <ledger.txt
  [ $expect = 31 ] || { echo "FAIL $n: ledger stops before s$((expect))"; return; }
  [ $dups -le $kills ] || { echo "FAIL $n: $dups repeated steps for $kills kills"; return; }
  "$ordo" status plan.toml --state-dir st --json >status.json 2>&1
  grep -q '"state": "finished"' status.json || { echo "FAIL $n: status is not finished"; return; }
  # No process of the run is left (a step orphaned by a kill is stopped by the next resume).
  local run_id left=""
  run_id=$(sed -n 's/^ *"run": "\(.*\)",*$/\1/p' status.json | head -1)
  [ -n "$run_id" ] || { echo "FAIL $n: no run id in status.json"; return; }
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "ORDO_RUN_ID=$run_id" &&
      left="$left ${p#/proc/}"
  done
  [ -z "$left" ] || { echo "FAIL $n: processes of run $run_id still alive:$left"; return; }
  echo "ok $n kills=$kills dups=$dups first_kill_after=$at"
  cd "$work" && rm -rf "$dir"
}

export -f plan run_and_kill trial
export ordo work kill_resumes
seq 1 "$trials" | xargs -P "$parallel" -I{} bash -c 'trial {}' >"$work/results.txt"
passed=$(grep -c '^ok' "$work/results.txt")
failed=$(grep -c '^FAIL' "$work/results.txt")
grep '^FAIL' "$work/results.txt"
kills=$(grep -o 'kills=[0-9]*' "$work/results.txt" | awk -F= '{s += $2} END {print s + 0}')
dups=$(grep -o 'dups=[0-9]*' "$work/results.txt" | awk -F= '{s += $2} END {print s + 0}')
early=$(grep -c 'first_kill_after=0$' "$work/results.txt")
mid=$(grep -Ec 'first_kill_after=([1-9]|[12][0-9])$' "$work/results.txt")
echo "crash trials: $trials, kills that hit a running ordo: $kills, repeated steps: $dups"
echo "first kill: before any step ran in $early trials, after 1-29 steps in $mid"
[ "$failed" = 0 ] && rm -rf "$work" || echo "kept: $work"
echo "ordo-test: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" = "$trials" ]
