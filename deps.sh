#!/usr/bin/env bash
# Installs what ordo needs to build and test on Debian bookworm (run as root), skipping apt
# entirely when everything is present. Sourced by demo.sh and test.sh; safe to run alone.
set -euo pipefail

ORDO_PKGS=(meson ninja-build pkg-config g++ cmake
  libboost-graph-dev libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev libpq-dev libspdlog-dev libfmt-dev doctest-dev
  libcli11-dev nlohmann-json3-dev graphviz postgresql-15 postgresql-client-15 procps
  ca-certificates chromium libxml2-utils
  clang libclang-rt-14-dev)  # the fuzz target (tests/fuzz): clang++ and libFuzzer
# npm (for the Taplo schema check) only when this machine has none.
command -v npm >/dev/null 2>&1 || ORDO_PKGS+=(nodejs npm)

ordo_need_install() {
  local st
  st=$(dpkg-query -W -f='${db:Status-Status}\n' "${ORDO_PKGS[@]}" 2>/dev/null) || return 0
  [ "$(grep -cx installed <<<"$st")" -ne "${#ORDO_PKGS[@]}" ]
}

ordo_install_deps() {
  if ! ordo_need_install; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "ordo: missing packages; run as root or install: ${ORDO_PKGS[*]}" >&2
    return 1
  fi
  echo "Installing build and test dependencies (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${ORDO_PKGS[@]}" >/dev/null
}

# Configures (once) and builds into $1 (default: build).
ordo_build() {
  local dir=${1:-build}
  shift || true
  if [ ! -f "$dir/build.ninja" ]; then
    local log
    log=$(meson setup "$dir" --buildtype=debug "$@" 2>&1) || { printf '%s\n' "$log" >&2; return 1; }
  fi
  ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ordo_install_deps
fi
