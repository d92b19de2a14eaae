#!/usr/bin/env bash
# Validates the plans in plans/ and examples/ (recursively) and the fixture
# tests/schema/good_plan.toml against schemas/plan.schema.json with Taplo, the validator behind
# the editors' TOML support, and checks that tests/schema/bad_kind_param.toml FAILS (so this
# test can fail). A .toml file that is not a plan (no [plan], [vars] or [steps.*] table and no
# #:schema line, e.g. a --vars file) is skipped and listed.
#
# Taplo (@taplo/cli from npm) is installed on first use into $ORDO_BUILD_ROOT/taplo.
# Env: ORDO_SOURCE_ROOT (repo root), ORDO_BUILD_ROOT (build dir); both set by meson test.
# Last line: "ordo-test: N passed, M failed"; exit status non-zero on any failure.
set -uo pipefail

ROOT=${ORDO_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${ORDO_BUILD_ROOT:-$ROOT/build}
SCHEMA=$ROOT/schemas/plan.schema.json
TAPLO_VERSION=0.7.0  # @taplo/cli 0.7.0 (taplo 0.9.0): draft-07 if/then/else supported
TAPLO_DIR=$BUILD/taplo
TAPLO=$TAPLO_DIR/node_modules/.bin/taplo

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() { echo "ordo-test: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

if [ ! -f "$SCHEMA" ]; then
  fail "$SCHEMA is missing; generate it with: ordo schema > schemas/plan.schema.json"
  finish
fi
if [ ! -x "$TAPLO" ]; then
  if ! command -v npm >/dev/null; then
    fail "npm is not installed: it is needed to install Taplo (@taplo/cli) for this test"
    finish
  fi
  echo "installing @taplo/cli@$TAPLO_VERSION into $TAPLO_DIR"
  if ! npm install --prefix "$TAPLO_DIR" --no-audit --no-fund --silent \
      "@taplo/cli@$TAPLO_VERSION" >"$BUILD/taplo-install.log" 2>&1 || [ ! -x "$TAPLO" ]; then
    cat "$BUILD/taplo-install.log"
    fail "could not install @taplo/cli with npm (log above)"
    finish
  fi
fi

# taplo check FILE... against the schema; output in $out, status returned.
out=""
check() {
  out=$("$TAPLO" check --no-auto-config --colors never --schema "file://$SCHEMA" "$@" 2>&1)
}

is_plan() {
  grep -qE '^[[:space:]]*(\[(plan|vars|steps)[].]|#:schema)' "$1"
}

files=("$ROOT/tests/schema/good_plan.toml")
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  find "$ROOT/plans" "$ROOT/examples" -name '*.toml' -type f -print0 2>/dev/null | sort -z)

plans=()
for f in "${files[@]}"; do
  if is_plan "$f"; then plans+=("$f"); else echo "skipped (not a plan): ${f#"$ROOT"/}"; fi
done
# One Taplo run for all plans (each run costs a Node start); only on failure one run per file,
# to say which files fail.
if check "${plans[@]}"; then
  for f in "${plans[@]}"; do pass "${f#"$ROOT"/} is valid"; done
else
  for f in "${plans[@]}"; do
    rel=${f#"$ROOT"/}
    if check "$f"; then
      pass "$rel is valid"
    else
      echo "$out" | grep -v ' INFO '
      fail "$rel does not validate against schemas/plan.schema.json"
    fi
  done
fi

# Every property (and every pattern of names) has a description, for the editors' hover:
# directly, or in the schema its $ref points to. `if` conditions are not properties.
if missing=$(node - "$SCHEMA" <<'JS'
const schema = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const resolve = (ref) => ref.slice(2).split("/").reduce((node, key) => node[key], schema);
const missing = [];
function walk(node, path) {
  if (node === null || typeof node !== "object") return;
  for (const group of ["properties", "patternProperties"]) {
    for (const [name, sub] of Object.entries(node[group] || {})) {
      const target = sub.$ref ? resolve(sub.$ref) : sub;
      if (!target || typeof target.description !== "string" || target.description === "")
        missing.push(`${path}/${group}/${name}`);
    }
  }
  for (const [key, value] of Object.entries(node)) if (key !== "if") walk(value, `${path}/${key}`);
}
walk(schema, "#");
console.log(missing.join("\n"));
process.exit(missing.length ? 1 : 0);
JS
); then
  pass "every property in the schema has a description"
else
  echo "$missing"
  fail "schema properties without a description (listed above)"
fi

# The bad fixture must be rejected, and for its own faults (not, say, a broken schema).
bad=$ROOT/tests/schema/bad_kind_param.toml
if check "$bad"; then
  fail "tests/schema/bad_kind_param.toml validated, but its action \"restrat\" and key 'wiat' are wrong"
elif ! grep -q '^error: "restrat" is not valid' <<<"$out" ||
  ! grep -q "^error: .*'wiat' was unexpected" <<<"$out"; then
  echo "$out"
  fail "tests/schema/bad_kind_param.toml failed, but not for \"restrat\" and 'wiat'"
else
  pass "tests/schema/bad_kind_param.toml is rejected (\"restrat\", 'wiat')"
fi

finish
