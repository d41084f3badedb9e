# shellcheck shell=bash
# node.sh stop/kill/destroy: an orderly halt (bounded), then nothing left running; destroy also
# removes the node's disk. Both accept a node in any state, half-made ones included.

# teardown_args COMMAND NAME...: the checks stop, kill and destroy start with (each dies on a bad
# call); true when the node has a folder, i.e. something to tear down.
teardown_args() {
  local command="$1"
  shift
  [ "$#" -eq 1 ] || die "usage: node.sh $command NAME"
  check_name "$1"
  need_linux
  need_root
  [ -d "$(node_dir "$1")" ]
}

cmd_stop() {
  teardown_args stop "$@" || return 0
  stop_node "$1"
}

# kill: the node's power cut, for failure drills: every process of the node gets SIGKILL at once,
# so nothing in it shuts down cleanly (kube-vip cannot hand over its lease); the disk stays and
# `start` boots it again. systemd-nspawn alone is not enough: its node outlives it.
cmd_kill() {
  teardown_args kill "$@" || return 0
  local pid
  if pid="$(node_pid "$1")"; then env kill -s KILL "$pid" 2>/dev/null || true; fi
  cleanup_runtime "$1"
  log "node $1 killed"
}

cmd_destroy() {
  teardown_args destroy "$@" || true # a node without a folder may still have a machine or links to remove
  destroy_node "$1"
}

# stop_node NAME: halt (bounded), kill what is left, release what it held on the host.
stop_node() {
  local name="$1" pid deadline
  if pid="$(node_pid "$name")"; then
    # systemd-nspawn turns SIGTERM into --kill-signal (SIGRTMIN+3) for the node's systemd: halt.
    env kill -s TERM "$pid" 2>/dev/null || true
    deadline=$(($(date +%s) + STOP_TIMEOUT))
    while node_pid "$name" >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep "$POLL"; done
    if node_pid "$name" >/dev/null; then
      log "node $name did not halt within ${STOP_TIMEOUT}s; killing it"
      env kill -s KILL "$pid" 2>/dev/null || true
    else
      log "node $name halted"
    fi
  fi
  cleanup_runtime "$name"
}

destroy_node() {
  local name="$1" dir
  dir="$(node_dir "$name")"
  [ -e "$dir" ] || return 0
  stop_node "$name"
  if [ -n "$(mounts_under "$dir")" ]; then die "still mounted under $dir: $(mounts_under "$dir" | tr '\n' ' ')"; fi
  rm -rf "$dir"
  log "destroyed node $name"
}

# What a running node holds on the host besides its disk: processes, cgroups, its veth, the
# overlay mount. Safe on a node that never ran or was half-started.
cleanup_runtime() {
  local name="$1" dir
  dir="$(node_dir "$name")"
  kill_cgroup_processes "$dir/cgroups"
  remove_cgroups "$dir/cgroups"
  if [ -s "$dir/veth" ] && link_exists "$(cat "$dir/veth")"; then ip link del dev "$(cat "$dir/veth")" 2>/dev/null || true; fi
  local mount_point
  while read -r mount_point; do
    [ -n "$mount_point" ] || continue
    umount "$mount_point" 2>/dev/null || umount --lazy "$mount_point"
  done < <(mounts_under "$dir")
  rm -f "$dir/pid" "$dir/veth" "$dir/cgroups" "$dir/start-token"
}

# Every process still in the node's groups (orphans of a killed systemd-nspawn), bounded.
kill_cgroup_processes() {
  local list="$1" attempt pids
  [ -s "$list" ] || return 0
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    pids="$(cgroup_pids "$list")"
    [ -n "${pids// /}" ] || return 0
    log "killing leftover processes of the node (attempt $attempt): $pids"
    # shellcheck disable=SC2086 # one argument per pid
    env kill -s KILL $pids 2>/dev/null || true
    sleep "$POLL"
  done
  log "WARNING: processes still in the node's cgroups: $pids"
}

# cgroup_pids LIST: every process in the groups listed (one directory a line) and below them.
cgroup_pids() {
  local path
  while read -r path; do
    if [ -d "$path" ]; then find "$path" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done <"$1" | sort -u | tr '\n' ' '
}

# The node's groups, children first (the node's own systemd made some), then an empty parent.
remove_cgroups() {
  local list="$1" path
  [ -s "$list" ] || return 0
  while read -r path; do
    [ -d "$path" ] || continue
    find "$path" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "$path" ] && log "WARNING: could not remove cgroup $path"
    rmdir "$(dirname "$path")" 2>/dev/null || true
  done <"$list"
}
