#!/usr/bin/env bash
# Shell checks of npm test: shellcheck on every script that runs on a node, then the bats suites.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t scripts < <(find scripts components cli .ci test/scripts -name '*.sh' -o -name run -path '*.ci*' | sort)
shellcheck -x "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
mapfile -t suites < <(find test/scripts -name '*.bats' | sort)
if [ "${#suites[@]}" -gt 0 ]; then
  bats "${suites[@]}"
fi
