#!/bin/bash
# apt-get (sandbox stand-in, 2.x hosts): removes the distro uWSGI packages the 2.x install guide
# installed. Packages and their files are listed in ROOT/state/dpkg ("NAME VERSION FILE..."
# relative to ROOT). `remove [-y] PKG...` stops a packaged service first (its prerm does
# `invoke-rc.d uwsgi stop`), deletes the package's files and keeps admin-made config
# (/etc/uwsgi/apps-available/indico.ini is not a package file). Nothing else is supported.
set -uo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DPKG=$STATE/dpkg
[[ ${1:-} == remove || ${1:-} == purge ]] || { echo "E: sandbox apt-get: only remove/purge" >&2; exit 100; }
shift
pkgs=()
for a; do [[ $a == -* ]] || pkgs+=("$a"); done
((${#pkgs[@]})) || { echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."; exit 0; }
if ((SBX_ROOTMODE && EUID != 0)); then
  echo "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)" >&2
  echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?" >&2
  exit 100
fi
echo "Reading package lists... Done"
echo "Building dependency tree... Done"
remove=()
for p in "${pkgs[@]}"; do
  if grep -q "^$p " "$DPKG" 2>/dev/null; then remove+=("$p")
  elif grep -q "^$p|" "$SBX_ROOT/lib/index.conf" 2>/dev/null; then echo "E: Unable to locate package $p" >&2; exit 100
  else echo "Package '$p' is not installed, so not removed"; fi
done
((${#remove[@]})) || { echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."; exit 0; }
echo "The following packages will be REMOVED:"
echo "  ${remove[*]}"
echo "0 upgraded, 0 newly installed, ${#remove[@]} to remove and 0 not upgraded."
for p in "${remove[@]}"; do
  read -r _ ver files < <(grep "^$p " "$DPKG")
  echo "Removing $p ($ver) ..."
  if [[ " $files " == *" usr/lib/systemd/system/uwsgi.service "* ]]; then
    "$SBX_ROOT/bin/systemctl" stop uwsgi.service >/dev/null 2>&1
  fi
  for f in $files; do rm -f "${SBX_ROOT:?}/$f"; done
  tmp=$(mktemp "$STATE/.dpkg.XXXXXX")
  grep -v "^$p " "$DPKG" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$DPKG"
done
echo "Processing triggers for man-db (2.11.2-2) ..."
