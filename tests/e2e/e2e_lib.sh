# Shared by the end-to-end scripts (sourced): the assertion helper, predicates over a run's event
# stream and the simulated host, and the case runner. The sourcing script sets `sbx` (the
# ordo-sandbox script) and, per case, ROOT (the host) and STATE (the case's directory); the event
# predicates read EV, or $STATE/events.jsonl when EV is empty. Each script defines host_down and
# its case_<name> functions.

check() {  # check DESCRIPTION COMMAND...: one assertion
  if "${@:2}"; then return 0; fi
  echo "    FAILED: $1"
  CASE_OK=0
}
events() { echo "${EV:-$STATE/events.jsonl}"; }
finished() { grep -qE "\"t\":\"step_finished\",[^{]*\"step\":\"$1\",\"status\":\"$2\"" "$(events)"; }
skipped() { grep -qE "\"t\":\"step_skipped\",[^{]*\"step\":\"$1\",\"kind\":\"$2\"" "$(events)"; }
never_started() { ! grep -qE "\"t\":\"step_started\",[^{]*\"step\":\"$1\"" "$(events)"; }
fired() { grep -qE "\"t\":\"watcher_fired\",[^{]*\"step\":\"$1\"" "$(events)"; }
outcome() { grep -qE "\"t\":\"run_finished\",.*\"outcome\":\"$1\"" "$(events)"; }
psql_sbx() { "$sbx" psql "$ROOT" -XAtqc "$1"; }
unit_active() { [ "$("$ROOT/bin/systemctl" is-active "$1")" = active ]; }
output_has() { grep -qF -- "$1" "$STATE/out.txt"; }
celery_version() { psql_sbx "SELECT value #>> '{}' FROM indico.settings WHERE module = 'celery' AND name = 'last_ping_version'"; }

# run_cases CASE...: runs case_<CASE> for each (the case brings its host up; host_down after),
# shows the output of a failed case, ends with "ordo-test: N passed, M failed"; fails if any did.
run_cases() {
  local pass=0 fail=0 failed_cases=() c
  for c in "$@"; do
    echo "case $c"
    CASE_OK=1
    "case_$c" || CASE_OK=0
    if [ "$CASE_OK" = 1 ]; then pass=$((pass + 1)); else
      fail=$((fail + 1)); failed_cases+=("$c")
      [ -n "$STATE" ] && [ -f "$STATE/out.txt" ] && sed 's/^/    | /' "$STATE/out.txt" | tail -40
    fi
    host_down
  done
  [ $fail -gt 0 ] && echo "failed: ${failed_cases[*]}"
  echo "ordo-test: $pass passed, $fail failed"
  [ $fail = 0 ]
}
