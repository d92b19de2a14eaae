#!/usr/bin/env bash
# The run report and `ordo graph --run` seen by a browser: real runs of examples/cleanup.toml
# (one failing, one passing) and the recorded fixture tests/golden/run/rescue.jsonl are turned
# into reports, loaded in headless Chromium (--dump-dom after the inline script ran), printed to
# PDF, and screenshotted into <build>/tests/report-screenshots/ for a person to look at.
# Skipped (exit 77) without Chromium. Last line: `ordo-test: N passed, M failed`.
set -uo pipefail
root=${ORDO_SOURCE_ROOT:?}
ordo=${ORDO_BIN:?}
build=${ORDO_BUILD_ROOT:?}

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chromium" ]; then
  echo "chromium is not installed: the browser tests of the run report are skipped"
  echo "ordo-test: 0 passed, 0 failed"
  exit 77
fi

shots=$build/tests/report-screenshots
mkdir -p "$shots"
tmp=$(mktemp -d /tmp/ordo-report-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
state=$tmp/state
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check "what" COMMAND...: a passing command is a passed check.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qiE -- "$2" "$1"; }

# browser NAME ARGS...: headless Chromium with a fresh profile, no network chatter.
browser() {
  local name=$1
  shift
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile-$name" "$@" 2>>"$tmp/chromium.log"
}

# The record to report on: the run's journal when runs write one, else its events file.
# Prints a RUN argument for `ordo report` / `ordo graph --run`.
record_arg() {
  local events=$1 run
  run=$(sed -n '1s/.*"run":"\([^"]*\)".*/\1/p' "$events")
  if [ -f "$state/cleanup/runs/$run/journal.jsonl" ]; then echo "$run"; else echo "$events"; fi
}

# No resource from the network: no src=/href= to http(s) or //, no @import, no url(); http(s)
# appears only in the SVG's xmlns declarations.
self_contained() {
  local f=$1
  lacks "$f" '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' &&
    lacks "$f" '@import' && lacks "$f" 'url\(' && lacks "$f" '<link' &&
    [ -z "$(grep -oE '.{0,16}https?://' "$f" | grep -vE 'xmlns(:[a-z]+)?="https?://$')" ]
}

# The first bar of each timeline lane starts no earlier than the one above it, and each lane's
# attempts are in order.
bars_in_time_order() {
  grep -oE 'data-step="[^"]+" data-attempt="[0-9]+" data-start-ms="[0-9]+"' "$1" |
    sed -E 's/data-step="([^"]+)" data-attempt="([0-9]+)" data-start-ms="([0-9]+)"/\1 \2 \3/' |
    awk 'BEGIN { ok = 1 }
         $1 != lane { if (NR > 1 && $3 < first) ok = 0; first = $3; lane = $1; last = $3; n++; next }
         { if ($3 <= last) ok = 0; last = $3 }
         END { exit !(ok && n > 0) }'
}

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$1")" -gt 20000 ]; }
is_pdf() { [ "$(head -c 5 "$1")" = "%PDF-" ] && [ "$(stat -c %s "$1")" -gt 10000 ]; }
well_formed() {
  if command -v xmllint >/dev/null; then
    xmllint --noout "$1"
  else
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
  fi
}

cd "$root" || exit 1

# --- real runs ------------------------------------------------------------------------------
"$ordo" run examples/cleanup.toml --set fail=true -j 2 --state-dir "$state" \
  --events "$tmp/fail.jsonl" --no-color >"$tmp/run-fail.out" 2>&1
check "the failing run of examples/cleanup.toml exits 1" [ $? = 1 ]
"$ordo" run examples/cleanup.toml -j 2 --state-dir "$state" --events "$tmp/ok.jsonl" \
  --no-color >"$tmp/run-ok.out" 2>&1
check "the passing run exits 0" [ $? = 0 ]
fail_run=$(record_arg "$tmp/fail.jsonl")
ok_run=$(record_arg "$tmp/ok.jsonl")
fail_id=$(sed -n '1s/.*"run":"\([^"]*\)".*/\1/p' "$tmp/fail.jsonl")

"$ordo" report examples/cleanup.toml "$fail_run" --state-dir "$state" -o "$tmp/fail.html" \
  >"$tmp/report.out" 2>&1
check "ordo report writes the failed run's report" [ $? = 0 -a -s "$tmp/fail.html" ]
check "ordo report says where" has "$tmp/report.out" "(failed): $tmp/fail.html"
"$ordo" report examples/cleanup.toml "$ok_run" --state-dir "$state" -o "$tmp/ok.html" >/dev/null 2>&1
check "ordo report writes the passing run's report" [ $? = 0 -a -s "$tmp/ok.html" ]
"$ordo" report examples/cleanup.toml "$fail_run" --state-dir "$state" >/dev/null 2>&1
check "without -o the report goes into the run's directory" \
  [ -s "$state/cleanup/runs/$fail_id/report.html" ]
"$ordo" report examples/hello.toml "$tmp/fail.jsonl" --state-dir "$state" -o "$tmp/x.html" \
  >"$tmp/wrong.out" 2>&1
check "a run of another plan is refused (exit 2)" [ $? = 2 ]
check "... saying whose run it is" has "$tmp/wrong.out" "is a run of plan 'cleanup', not 'hello'"
"$ordo" report tests/golden/run/rescue.toml tests/golden/run/rescue.jsonl --state-dir "$state" \
  -o "$tmp/rescue.html" >/dev/null 2>&1
check "the recorded fixture's report" [ $? = 0 -a -s "$tmp/rescue.html" ]

for f in fail ok rescue; do
  check "$f.html is self-contained (no network references)" self_contained "$tmp/$f.html"
done

# --- graph --run ----------------------------------------------------------------------------
"$ordo" graph tests/golden/run/rescue.toml --run tests/golden/run/rescue.jsonl --format svg \
  -o "$tmp/rescue.svg" >/dev/null 2>&1
check "graph --run FILE --format svg" [ $? = 0 ]
check "the SVG is well-formed XML" well_formed "$tmp/rescue.svg"
all=1
for id in preflight flaky migrate lock-watch end-blockers reload upgrade verify rollback slow \
  cleanup-cache start-worker; do
  grep -qF ">$(sed 's/-/\&#45;/g' <<<"$id")</text>" "$tmp/rescue.svg" || all=0  # '-' as &#45;
done
check "the SVG names every step" [ $all = 1 ]
check "the SVG colours the failed step" has "$tmp/rescue.svg" 'fill="#ffcdd2"'
check "the SVG marks the watcher's firing" has "$tmp/rescue.svg" '⚡ fired 1×'
"$ordo" graph examples/cleanup.toml --state-dir "$state" --format dot --run "$fail_run" \
  >"$tmp/fail.dot" 2>&1
check "graph --run RUN --format dot colours the failed step" \
  has "$tmp/fail.dot" '"upgrade" [style="rounded,filled", fillcolor="#ffcdd2"'
"$ordo" graph examples/cleanup.toml --state-dir "$state" --format text --run >"$tmp/last.txt" 2>&1
rc=$?
if [ -f "$state/cleanup/runs/$fail_id/journal.jsonl" ]; then
  check "graph --run with no value takes the last run (the passing one)" \
    grep -qE '^  upgrade +succeeded' "$tmp/last.txt"
else
  refused_without_journal() { [ $rc = 2 ] && has "$tmp/last.txt" "give an events file instead"; }
  check "graph --run with no value and no journal says to give the events file (exit 2)" \
    refused_without_journal
fi

# --- in the browser -------------------------------------------------------------------------
browser dom-fail --dump-dom "file://$tmp/fail.html#step-rollback" >"$tmp/fail.dom"
check "Chromium loads the failed report" has "$tmp/fail.dom" '<section class="banner failed" id="summary">'
# line_of FILE TEXT: the number of the first line holding TEXT (0 if none).
line_of() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1 | grep . || echo 0; }
cause_first() {
  local cause graph
  cause=$(line_of "$tmp/fail.dom" '<h2><span class="tag">Root cause</span> <a href="#step-upgrade">upgrade</a> failed: exit code 1</h2>')
  graph=$(line_of "$tmp/fail.dom" '<section id="graph">')
  [ "$cause" -gt 0 ] && [ "$cause" -lt "$graph" ]
}
check "the banner names the root cause, before the graph" cause_first
check "... with the step's stderr" has "$tmp/fail.dom" '<span class="stderr">upgrade broke</span>'
all=1
for id in stop-worker upgrade verify rollback start-worker; do
  grep -qE "<section class=\"step-row st-[a-z_]+( target)?\" id=\"step-$id\" data-step=\"$id\">" \
    "$tmp/fail.dom" || all=0
done
check "a row for every step" [ $all = 1 ]
check "the failed step's row is marked failed" has "$tmp/fail.dom" 'class="step-row st-failed" id="step-upgrade"'
check "the blocked step's row is marked skipped" has "$tmp/fail.dom" 'class="step-row st-skipped" id="step-verify"'
check "... with its reason" has "$tmp/fail.dom" '<div class="row-note">requires upgrade, which failed</div>'
check "the last lines of the failed step's log" has "$tmp/fail.dom" \
  '<span class="meta">ordo: upgrade failed: exit code 1 after'
check "timeline bars in time order" bars_in_time_order "$tmp/fail.dom"
check "the graph is inline SVG" has "$tmp/fail.dom" '<svg class="graph"'
check "the script opened the linked step" \
  grep -qE 'class="step-row st-succeeded target" id="step-rollback"' "$tmp/fail.dom"

browser dom-ok --dump-dom "file://$tmp/ok.html" >"$tmp/ok.dom"
check "the passing report says so" has "$tmp/ok.dom" '<div class="outcome succeeded">✔ SUCCEEDED</div>'
check "... without a root cause" lacks "$tmp/ok.dom" 'Root cause'
check "... and names the step it did not need" has "$tmp/ok.dom" \
  'Not needed this time: <a href="#step-rollback">rollback</a> (not needed)'

browser dom-rescue --dump-dom "file://$tmp/rescue.html" >"$tmp/rescue.dom"
check "the fixture report has 12 step rows" [ "$(grep -o 'class="step-row ' "$tmp/rescue.dom" | wc -l)" = 12 ]
check "... two root causes" [ "$(grep -o '<div class="cause" ' "$tmp/rescue.dom" | wc -l)" = 2 ]
check "... the watcher's firing on the timeline" has "$tmp/rescue.dom" 'data-at-ms="1993"'
check "... retries with their backoff waits" [ "$(grep -o '<div class="wait"' "$tmp/rescue.dom" | wc -l)" = 2 ]
check "... timeline bars in time order" bars_in_time_order "$tmp/rescue.dom"

# Screenshots and PDFs for a person to look at.
for f in fail ok rescue; do
  name=$f
  [ $f = fail ] && name=cleanup-failed
  [ $f = ok ] && name=cleanup-succeeded
  rm -f "$shots/$name.png" "$shots/$name.pdf"
  browser "shot-$f" --screenshot="$shots/$name.png" --window-size=1400,1800 \
    "file://$tmp/$f.html" >/dev/null
  check "screenshot $shots/$name.png" is_png "$shots/$name.png"
  browser "pdf-$f" --no-pdf-header-footer --print-to-pdf="$shots/$name.pdf" \
    "file://$tmp/$f.html" >/dev/null
  check "printed to PDF $shots/$name.pdf" is_pdf "$shots/$name.pdf"
done

if [ "$fail" != 0 ]; then
  echo "--- chromium stderr (last lines)"
  tail -5 "$tmp/chromium.log"
fi
echo "ordo-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
