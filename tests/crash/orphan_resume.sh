#!/usr/bin/env bash
# A step orphaned by `kill -9` of the engine must not run twice at once: ordo runs step `slow`
# (it records its start and pid, then sleeps 60 s on its first run), is killed with SIGKILL while
# `slow` sleeps, and the step's process group lives on. `ordo resume` must name the orphan
# (pid and step), terminate it, and only then run `slow` again: the second run records whether
# the first one's process was still alive when it started. With --wait-orphans resume waits
# instead (the orphan here ends on its own after 5 s). `ordo run --fresh` must stop the orphan
# of the run it abandons the same way before its own `slow` starts.
# A daemon that a step which finished left behind (step `daemon`, setsid) is not an orphan of
# the interrupted step: resume leaves it alone. Also checks ORDO_RUN_ID and ORDO_STEP in the
# step's environment.
# Prints `ordo-test: N passed, M failed`.
set -u
ordo=${ORDO_BIN:?set ORDO_BIN to the ordo binary}
work=$(mktemp -d /tmp/ordo-orphan.XXXXXX)
passed=0
failed=0
# Alive and not a zombie (an orphan's zombie waits for init to reap it).
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$st" ] && [ "$st" != Z ]
}
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# plan FIRST_SLEEP: step `slow` sleeps FIRST_SLEEP seconds on its first run only; `after` needs it.
plan() {
  cat <<TOML
[plan]
name = "orphan"

[steps.daemon]
kind = "shell"
# The daemon writes its pid once it has left the step's process group (setsid), and the step
# waits for that: ordo kills what is left in a step's group when the step's shell exits.
script = "setsid sh -c 'echo \$\$\$\$ > daemon.pid; exec sleep 120' </dev/null >/dev/null 2>&1 & while [ ! -s daemon.pid ]; do sleep 0.05; done"

[steps.slow]
kind = "shell"
requires = ["daemon"]
script = '''
echo "start \$\$\$\$ \$ORDO_RUN_ID \$ORDO_STEP" >> ledger.txt
if [ -s first.pid ]; then
  st=\$(sed 's/.*) //' /proc/\$(cat first.pid)/stat 2>/dev/null | cut -c1)
  if [ -n "\$st" ] && [ "\$st" != Z ]; then echo "first-alive" >> ledger.txt
  else echo "first-gone" >> ledger.txt; fi
else
  echo \$\$\$\$ > first.pid
  sleep $1
fi
echo "end \$\$\$\$" >> ledger.txt
'''

[steps.after]
kind = "shell"
script = "echo after >> ledger.txt"
requires = ["slow"]
TOML
}

# Starts `ordo run`, waits until `slow` has started, kills ordo with SIGKILL. Echoes the
# orphan's pid.
run_and_kill() {
  "$ordo" run plan.toml --state-dir st --no-report --no-color >run.out 2>&1 &
  local pid=$! i
  for i in $(seq 1 200); do
    [ -s first.pid ] && break
    sleep 0.05
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  cat first.pid
}

case_terminate() {
  local dir=$work/terminate
  mkdir -p "$dir" && cd "$dir" || return
  plan 60 >plan.toml
  local orphan
  orphan=$(run_and_kill)
  [ -n "$orphan" ] && alive "$orphan" || { bad "terminate: no orphan to test with"; return; }
  ok "terminate: the step (pid $orphan) outlived the killed ordo"
  local daemon
  daemon=$(cat daemon.pid)
  local run_id
  run_id=$(awk 'NR==1 {print $3}' ledger.txt)
  [ -n "$run_id" ] && [ "$(awk 'NR==1 {print $4}' ledger.txt)" = slow ] &&
    ok "terminate: ORDO_RUN_ID ($run_id) and ORDO_STEP in the step's environment" ||
    bad "terminate: ORDO_RUN_ID/ORDO_STEP missing: $(head -1 ledger.txt)"
  "$ordo" resume plan.toml --state-dir st --no-report --no-color >resume.out 2>&1
  local rc=$?
  [ $rc = 0 ] && ok "terminate: resume succeeded" || bad "terminate: resume exited $rc: $(cat resume.out)"
  grep -q "pid $orphan (step slow)" resume.out && grep -q "Terminating them" resume.out &&
    grep -q "they are gone" resume.out &&
    ok "terminate: resume named the orphan (pid $orphan, step slow) and terminated it" ||
    bad "terminate: resume did not say so: $(cat resume.out)"
  alive "$orphan" && bad "terminate: pid $orphan still alive" ||
    ok "terminate: the orphan is gone"
  if alive "$daemon"; then
    ok "terminate: the daemon a finished step left (pid $daemon) was left alone"
    grep -q "pid $daemon " resume.out && bad "terminate: resume named the daemon: $(cat resume.out)"
  else
    bad "terminate: resume killed the daemon of a finished step (pid $daemon)"
  fi
  kill "$daemon" 2>/dev/null
  # Ledger: start(1st), start(2nd), first-gone, end(2nd), after — never end of the first.
  local starts ends
  starts=$(grep -c '^start' ledger.txt)
  ends=$(grep -c "^end" ledger.txt)
  grep -qx first-gone ledger.txt && ! grep -qx first-alive ledger.txt &&
    ok "terminate: the first run's process was gone before the step ran again" ||
    bad "terminate: the step ran again beside its orphan: $(cat ledger.txt)"
  [ "$starts" = 2 ] && [ "$ends" = 1 ] && ! grep -qx "end $orphan" ledger.txt &&
    [ "$(tail -1 ledger.txt)" = after ] &&
    ok "terminate: the orphan never finished; the step ran once more, then its dependent" ||
    bad "terminate: ledger: $(cat ledger.txt)"
  cd "$work" || return
}

case_wait() {
  local dir=$work/wait
  mkdir -p "$dir" && cd "$dir" || return
  plan 5 >plan.toml
  local orphan
  orphan=$(run_and_kill)
  [ -n "$orphan" ] && alive "$orphan" || { bad "wait: no orphan to test with"; return; }
  kill "$(cat daemon.pid)" 2>/dev/null  # not this case's subject: --wait-orphans does not wait for it
  "$ordo" resume --wait-orphans plan.toml --state-dir st --no-report --no-color >resume.out 2>&1
  local rc=$?
  [ $rc = 0 ] && ok "wait: resume succeeded" || bad "wait: resume exited $rc: $(cat resume.out)"
  grep -q "pid $orphan (step slow)" resume.out && grep -q "Waiting for them to end" resume.out &&
    ok "wait: resume named the orphan and waited" || bad "wait: output: $(cat resume.out)"
  # It was left to finish: its end is in the ledger, before the second run started.
  local end_at start2_at
  end_at=$(grep -n "^end $orphan\$" ledger.txt | cut -d: -f1)
  start2_at=$(grep -n '^start' ledger.txt | sed -n 2p | cut -d: -f1)
  [ -n "$end_at" ] && [ -n "$start2_at" ] && [ "$end_at" -lt "$start2_at" ] &&
    grep -qx first-gone ledger.txt &&
    ok "wait: the orphan ended on its own before the step ran again" ||
    bad "wait: ledger: $(cat ledger.txt)"
  cd "$work" || return
}

case_fresh() {
  local dir=$work/fresh
  mkdir -p "$dir" && cd "$dir" || return
  plan 60 >plan.toml
  local orphan
  orphan=$(run_and_kill)
  [ -n "$orphan" ] && alive "$orphan" || { bad "fresh: no orphan to test with"; return; }
  kill "$(cat daemon.pid)" 2>/dev/null  # the daemon step runs again in the new run
  rm -f daemon.pid
  "$ordo" run --fresh plan.toml --state-dir st --no-report --no-color >fresh.out 2>&1
  local rc=$?
  [ $rc = 0 ] && ok "fresh: the new run succeeded" || bad "fresh: run --fresh exited $rc: $(cat fresh.out)"
  grep -q "pid $orphan (step slow)" fresh.out && grep -q "before starting the new run" fresh.out &&
    grep -q "they are gone" fresh.out && grep -q "marked abandoned" fresh.out &&
    ok "fresh: run --fresh named the abandoned run's orphan, stopped it, then abandoned the run" ||
    bad "fresh: output: $(cat fresh.out)"
  alive "$orphan" && bad "fresh: pid $orphan still alive" || ok "fresh: the orphan is gone"
  grep -qx first-gone ledger.txt && ! grep -qx first-alive ledger.txt &&
    ! grep -qx "end $orphan" ledger.txt &&
    ok "fresh: the new run's step started after the old one's process was gone" ||
    bad "fresh: ledger: $(cat ledger.txt)"
  [ -s daemon.pid ] && kill "$(cat daemon.pid)" 2>/dev/null
  cd "$work" || return
}

case_terminate
case_wait
case_fresh
[ "$failed" = 0 ] && rm -rf "$work" || echo "kept: $work"
echo "ordo-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
