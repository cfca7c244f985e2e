#!/usr/bin/env bash
# Makes sure the Viceroy version pinned in package.json ("config.viceroyVersion")
# is installed, and prints its path as the last line of stdout.
#
# It reuses a viceroy whose `--version` matches, looked for in this order:
# $VICEROY_PATH, `viceroy` on PATH, cargo's bin directory. Otherwise it builds
# it from crates.io with `cargo install viceroy --locked --version <pinned>`
# (about 10 minutes on 2 cores, cold). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

pinned=$(node -p "require('./package.json').config.viceroyVersion")
cargo_bin="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"

say() { printf '[viceroy] %s\n' "$*" >&2; }

version_of() { "$1" --version 2>/dev/null | head -n 1 || true; }

try_candidate() { # path, where it came from
  local path=$1 from=$2 found
  [ -n "$path" ] && [ -x "$path" ] || return 1
  found=$(version_of "$path")
  if [ "$found" = "viceroy $pinned" ]; then
    say "using $path ($found, from $from)"
    printf '%s\n' "$path"
    exit 0
  fi
  say "skipping $path from $from: it says '${found:-nothing}', the pin is viceroy $pinned"
  return 1
}

try_candidate "${VICEROY_PATH:-}" '$VICEROY_PATH' || true
try_candidate "$(command -v viceroy || true)" 'PATH' || true
try_candidate "$cargo_bin/viceroy" "cargo's bin directory" || true

if ! command -v cargo >/dev/null 2>&1; then
  say "viceroy $pinned is not installed and cargo is not on PATH."
  say "Install Rust (https://rustup.rs), then run: npm run viceroy:install"
  exit 1
fi

say "building viceroy $pinned from crates.io: cargo install viceroy --locked --version $pinned (about 10 minutes on 2 cores)"
started=$(date +%s)
cargo install viceroy --locked --version "$pinned" >&2
elapsed=$(( $(date +%s) - started ))
path="$cargo_bin/viceroy"
found=$(version_of "$path")
if [ "$found" != "viceroy $pinned" ]; then
  say "cargo install finished but $path says '${found:-nothing}'"
  exit 1
fi
say "built $found in $((elapsed / 60)) min $((elapsed % 60)) s: $path"
printf '%s\n' "$path"
