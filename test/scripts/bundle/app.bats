#!/usr/bin/env bats
# scripts/bundle/app: the sample app's pure parts and worker loop (python3 unittest, no redis or postgres).

setup() {
  command -v python3 >/dev/null || skip "python3 is not installed"
}

@test "the app's contract and worker loop pass their unit tests" {
  run python3 -B "$BATS_TEST_DIRNAME/test_app.py" -v
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *"OK"* ]]
}

@test "every app module compiles" {
  run python3 -B -c 'import ast, sys
for f in sys.argv[1:]:
    ast.parse(open(f).read(), f)' "$BATS_TEST_DIRNAME"/../../../scripts/bundle/app/*.py
  [ "$status" -eq 0 ] || { echo "$output"; false; }
}
