#!/usr/bin/env bash
# The main job: installs what is missing, builds ordo, and shows it at work.
# (Until the stock Indico plan and the simulated host land, this checks and draws the example
# plans and runs one of them.)
set -euo pipefail
cd "$(dirname "$0")"
source ./deps.sh
ordo_install_deps
ordo_build build
ORDO=build/engine/cli/ordo

echo "== ordo check: every example plan"
$ORDO check examples/*.toml
echo
echo "== ordo plan examples/cleanup.toml"
$ORDO plan examples/cleanup.toml
echo
echo "== ordo graph examples/parallel.toml --format text"
$ORDO graph examples/parallel.toml --format text
out=$(mktemp -d /tmp/ordo-demo.XXXXXX)
$ORDO graph examples/cleanup.toml --format svg -o "$out/cleanup.svg"
echo "The SVG drawing of examples/cleanup.toml is at $out/cleanup.svg"
