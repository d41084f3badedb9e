#!/usr/bin/env bats
# scripts/bundle/pause/pause.c: the sandbox process blocks, exits 0 on SIGTERM/SIGINT and reaps.

setup() {
  command -v gcc >/dev/null || skip "gcc is not installed"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -Werror -o "$WORK/pause" "$BATS_TEST_DIRNAME/../../../scripts/bundle/pause/pause.c"
}

teardown() {
  rm -rf "$WORK"
}

wait_gone() {
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

@test "pause blocks until SIGTERM and then exits 0" {
  "$WORK/pause" 2>"$WORK/err" &
  pid=$!
  sleep 0.2
  kill -0 "$pid"
  kill -TERM "$pid"
  wait "$pid"
  grep -q "got signal 15" "$WORK/err"
}

@test "pause exits 0 on SIGINT" {
  # A background job of a non-interactive shell starts with SIGINT ignored; setsid gives it a clean slate.
  setsid "$WORK/pause" 2>/dev/null &
  pid=$!
  sleep 0.2
  kill -INT "$pid"
  wait "$pid"
}

@test "as PID 1 of its own namespace, pause reaps orphans" {
  unshare --pid --fork --mount-proc true 2>/dev/null || skip "cannot create a PID namespace here"
  unshare --pid --fork --mount-proc "$WORK/pause" 2>/dev/null &
  outer=$!
  sleep 0.3
  pid=$(pgrep -P "$outer")
  # An orphan in pause's namespace: its parent exits at once, so it is re-parented to pause.
  nsenter -t "$pid" -p -m sh -c '(sleep 0.1 &); exit 0'
  sleep 0.5
  zombies=$(nsenter -t "$pid" -p -m ps -eo stat= | grep -c '^Z' || true)
  kill -TERM "$pid"
  wait "$outer"
  [ "$zombies" -eq 0 ]
}
