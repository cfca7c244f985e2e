#!/usr/bin/env bash
# Makes sure the promtool pinned in package.json ("config.promtoolVersion", a
# Debian package version of `prometheus`) is there, and prints its path as the
# last line of stdout. promtool checks and unit-tests the alerting rules in
# ops/prometheus/ and lints the CLI's metrics.
#
# It reuses a promtool whose `--version` names the pinned version, looked for
# in this order: $PROMTOOL_PATH, .tools/promtool, `promtool` on PATH.
# Otherwise it fetches the Debian package with `apt-get download` (no root:
# nothing is installed system-wide) and takes promtool out of it into
# .tools/promtool; as root, it runs apt-get update first when the download
# fails (a fresh machine with no package index). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."

pinned=$(node -p "require('./package.json').config.promtoolVersion")
local_copy="$PWD/.tools/promtool"

say() { printf '[promtool] %s\n' "$*" >&2; }

version_of() { "$1" --version 2>/dev/null | head -n 1 || true; }

try_candidate() { # path, where it came from
  local path=$1 from=$2 found
  [ -n "$path" ] && [ -x "$path" ] || return 1
  found=$(version_of "$path")
  case "$found" in
    *"revision: $pinned)"*)
      say "using $path ($found, from $from)"
      printf '%s\n' "$path"
      exit 0
      ;;
  esac
  say "skipping $path from $from: it says '${found:-nothing}', the pin is prometheus $pinned"
  return 1
}

try_candidate "${PROMTOOL_PATH:-}" '$PROMTOOL_PATH' || true
try_candidate "$local_copy" '.tools' || true
try_candidate "$(command -v promtool || true)" 'PATH' || true

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  say "promtool (prometheus $pinned) is not here, and this machine has no apt-get/dpkg-deb to fetch Debian's package."
  say "Install promtool $pinned yourself and set PROMTOOL_PATH to it."
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "fetching Debian's prometheus=$pinned (apt-get download) for its promtool"
download() { (cd "$work" && apt-get download "prometheus=$pinned" >&2); }
if ! download; then
  # A fresh machine or container may have no package index yet: as root, fetch it once and try again.
  if [ "$(id -u)" = 0 ]; then
    say "apt-get download failed; updating the package index (apt-get update) and trying again"
    apt-get update -qq >&2 || say "apt-get update failed too"
  fi
  if ! download; then
    say "apt-get download prometheus=$pinned failed. Run apt-get update (as root), or, if Debian no longer serves"
    say "that version (a stable update replaced it), pin the one 'apt-cache policy prometheus' offers in package.json."
    exit 1
  fi
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
mkdir -p "$(dirname "$local_copy")"
cp "$work/root/usr/bin/promtool" "$local_copy"
chmod +x "$local_copy"
found=$(version_of "$local_copy")
say "took promtool out of the package: $local_copy ($found)"
printf '%s\n' "$local_copy"
