#!/usr/bin/env bash
# First step of `npm test`: the shell checks need shellcheck and bats (1.5 or newer); say so, and
# how to install them, before minutes of other tests run.
set -euo pipefail

missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if ! command -v bats >/dev/null 2>&1; then
  missing+=(bats)
else
  version="$(bats --version 2>/dev/null | sed -n 's/^Bats \([0-9][0-9.]*\).*/\1/p')"
  # The suites use bats_require_minimum_version and `run --separate-stderr` (bats-core 1.5).
  if [ -z "$version" ] || [ "$(printf '%s\n%s\n' "$version" 1.5.0 | sort -V | head -n 1)" != 1.5.0 ]; then
    missing+=("bats 1.5 or newer (found ${version:-an unknown version})")
  fi
fi
[ "${#missing[@]}" -eq 0 ] && exit 0

{
  echo "npm test needs: ${missing[*]}."
  echo "Install them, then run npm test again:"
  echo "  Debian 12+/Ubuntu 24.04+: sudo apt-get install shellcheck bats"
  echo "  macOS (Homebrew):         brew install shellcheck bats-core"
  echo "  Fedora:                   sudo dnf install ShellCheck bats"
  echo "  any system with npm:      npm install --global bats   (bats-core; shellcheck from your package manager)"
} >&2
exit 1
