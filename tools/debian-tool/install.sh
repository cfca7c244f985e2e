#!/usr/bin/env bash
# Makes sure a tool pinned in package.json ("config.debianTools.<tool>": a Debian
# package, its exact version, the binary's path in it, and the environment
# variable that may point at a copy) is there, and prints its path as the last
# line of stdout. Usage: install.sh promtool | install.sh pushgateway
#
#   promtool     Prometheus's checker: the alerting rules in ops/prometheus/ and
#                the CLI's metrics (Debian's prometheus package).
#   pushgateway  the Prometheus Pushgateway the CLI's --push is tested against
#                (Debian's prometheus-pushgateway package).
#
# It reuses a binary whose `--version` names the pinned package version, looked
# for in this order: $<env>, .tools/<tool>, the package's binary on PATH. Otherwise it fetches
# the package with `apt-get download` and takes the binary out of it into
# .tools/<tool>: nothing is installed system-wide. As root, it runs apt-get
# update first when the download fails (a fresh machine has no package index).
# Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."

tool=${1:-}
say() { printf '[%s] %s\n' "${tool:-debian-tool}" "$*" >&2; }
setting() { node -p "const t = require('./package.json').config.debianTools[process.argv[1]]; t ? t[process.argv[2]] : ''" "$tool" "$1"; }

if [ -z "$tool" ] || [ -z "$(setting package)" ]; then
  say "usage: $0 <tool>, one of: $(node -p "Object.keys(require('./package.json').config.debianTools).join(', ')")"
  exit 2
fi
package=$(setting package)
pinned=$(setting version)
binary=$(setting binary)
env_var=$(setting env)
local_copy="$PWD/.tools/$tool"

version_of() { "$1" --version 2>&1 | head -n 1 || true; }

try_candidate() { # path, where it came from
  local path=$1 from=$2 found
  [ -n "$path" ] && [ -x "$path" ] || return 1
  found=$(version_of "$path")
  # The binary's own name and the package version: Debian's prometheus server says the same revision as its promtool.
  case "$found" in
    "$tool, version "*"revision: $pinned)"*)
      say "using $path ($found, from $from)"
      printf '%s\n' "$path"
      exit 0
      ;;
  esac
  say "skipping $path from $from: it says '${found:-nothing}', the pin is $package $pinned"
  return 1
}

try_candidate "${!env_var:-}" "\$$env_var" || true
try_candidate "$local_copy" '.tools' || true
try_candidate "$(command -v "$(basename "$binary")" || true)" 'PATH' || true

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  say "$tool ($package $pinned) is not here, and this machine has no apt-get/dpkg-deb to fetch Debian's package."
  say "Install $tool from $package $pinned yourself and set $env_var to it."
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
download() { (cd "$work" && apt-get download "$package=$pinned" >&2); }
say "fetching Debian's $package=$pinned (apt-get download) for its $tool"
if ! download; then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get download failed; updating the package index (apt-get update) and trying again"
    apt-get update -qq >&2 || say "apt-get update failed too"
  fi
  if ! download; then
    say "apt-get download $package=$pinned failed. Run apt-get update (as root), or, if Debian no longer serves"
    say "that version (a stable update replaced it), pin the one 'apt-cache policy $package' offers in package.json."
    exit 1
  fi
fi
dpkg-deb -x "$work/${package}_"*.deb "$work/root"
mkdir -p "$(dirname "$local_copy")"
cp "$work/root/$binary" "$local_copy"
chmod +x "$local_copy"
say "took $tool out of the package: $local_copy ($(version_of "$local_copy"))"
printf '%s\n' "$local_copy"
