# shellcheck shell=bash
# node.sh start/stop/status/destroy: a node runs as systemd-nspawn with the node's systemd as
# PID 1, detached from the caller (it outlives `pulumi up`), in its own cgroup of every hierarchy.

# What kubelet sets at start and fails on when it cannot (the node's /proc/sys is read-only
# outside net): set on the host when different, so kubelet finds them right and writes nothing.
KUBELET_SYSCTLS=(vm.overcommit_memory=1 vm.panic_on_oom=0 kernel.panic=10 kernel.panic_on_oops=1
  kernel.keys.root_maxkeys=1000000 kernel.keys.root_maxbytes=25000000)
# Shared by every node (all are root of the host's user namespace): raised, never lowered, to
# what kind recommends for multi-node clusters.
MIN_SYSCTLS=(fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288)

# node_pid NAME: the node's systemd-nspawn process, if it runs.
node_pid() {
  local pid
  pid="$(cat "$(node_dir "$1")/pid" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  { tr '\0' ' ' <"$ROOT/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "systemd-nspawn .*--machine=$1 " || return 1
  echo "$pid"
}

# status NAME [--json]: cheap (no root needed), for callers deciding whether to start a node.
cmd_status() {
  local name="${1:-}" json="${2:-}" state token=""
  if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || { [ -n "$json" ] && [ "$json" != --json ]; }; then
    die "usage: node.sh status NAME [--json]"
  fi
  check_name "$name"
  if node_pid "$name" >/dev/null; then
    state=running
    token="$(cat "$(node_dir "$name")/start-token" 2>/dev/null || true)"
  elif [ -f "$(node_dir "$name")/created" ]; then state=stopped
  else state=absent; fi
  if [ -n "$json" ]; then printf '{"state":"%s","token":"%s"}\n' "$state" "$token"; else echo "$state"; fi
}

host_tunables() {
  local setting key want have before="$HOST_STATE_DIR/host-sysctl.before"
  for setting in "${KUBELET_SYSCTLS[@]}" "${MIN_SYSCTLS[@]}"; do
    key="${setting%=*}" want="${setting#*=}"
    have="$(cat "$ROOT/proc/sys/${key//.//}")"
    if [ "$have" = "$want" ]; then continue; fi
    if [[ " ${MIN_SYSCTLS[*]} " == *" $setting "* ]] && ((have > want)); then continue; fi
    mkdir -p "$HOST_STATE_DIR"
    grep -q "^$key=" "$before" 2>/dev/null || echo "$key=$have" >>"$before"
    sysctl -qw "$key=$want"
    log "host sysctl $key: $have -> $want (for kubelet in the nodes; the value before is kept in $before)"
  done
}

cmd_start() {
  local name="${1:-}" token="" dir env pid
  if [ "$#" -eq 3 ] && [ "$2" = --token ]; then token="$3"; elif [ "$#" -ne 1 ]; then
    die "usage: node.sh start NAME [--token T]"
  fi
  check_name "$name"
  [[ -z "$token" || "$token" =~ ^[A-Za-z0-9:._-]{1,64}$ ]] || die "token '$token' is not valid: 1-64 letters, digits, ':', '.', '_' or '-'"
  host_checks
  need_cmd sysctl procps
  need_cmd nsenter util-linux
  dir="$(node_dir "$name")" env="$(node_dir "$name")/node.env"
  [ -f "$dir/created" ] || die "node $name does not exist; create it first: node.sh create $name ..."
  if pid="$(node_pid "$name")"; then
    log "node $name is running (pid $pid)"
  else
    with_host_lock host_tunables
    with_host_lock bridge_up "$(env_get "$env" BRIDGE)" "$(env_get "$env" GATEWAY)/$(env_get "$env" PREFIX)"
    cleanup_runtime "$name"
    launch_node "$name"
  fi
  if ! wait_ssh "$name"; then
    log "last lines of $dir/nspawn.log:"
    tail -n 20 "$dir/nspawn.log" >&2 || true
    stop_node "$name" >&2
    die "node $name did not answer SSH within ${BOOT_TIMEOUT}s; it was stopped (log: $dir/nspawn.log)"
  fi
  [ -s "$dir/veth" ] || record_veth "$name"
  # The caller's mark of this start: `status --json` reports it while the node keeps running.
  if [ -n "$token" ]; then echo "$token" >"$dir/start-token"; fi
  printf '{"name":"%s","address":"%s","hostKey":"%s"}\n' "$name" "$(env_get "$env" ADDRESS)" "$(cat "$dir/host_key.pub")"
}

# make_cgroups NAME MEMORY: NAME's group in every hierarchy, printed one per line.
make_cgroups() {
  local name="$1" memory="$2" mnt own path level
  while read -r mnt own; do
    path="$mnt${own%/}/kubelab/$name"
    mkdir -p "$path"
    if [ -f "$mnt/cpuset.cpus" ]; then
      # A new cpuset group starts with no CPUs; each level takes its parent's.
      for level in "$mnt${own%/}/kubelab" "$path"; do
        [ -s "$level/cpuset.cpus" ] && [ -n "$(tr -d '\n' <"$level/cpuset.cpus")" ] && continue
        cat "$(dirname "$level")/cpuset.cpus" >"$level/cpuset.cpus"
        cat "$(dirname "$level")/cpuset.mems" >"$level/cpuset.mems"
      done
    fi
    if [ -n "$memory" ] && [ -f "$mnt/memory.limit_in_bytes" ]; then echo "$memory" >"$path/memory.limit_in_bytes"; fi
    echo "$path"
  done < <(cgroup_parents)
}

launch_node() {
  local name="$1" dir env pid
  dir="$(node_dir "$name")" env="$(node_dir "$name")/node.env"
  [ -d "$(env_get "$env" ROOTFS)" ] ||
    die "the rootfs node $name was made from is gone ($(env_get "$env" ROOTFS)); rebuild it with node.sh rootfs (same release and kubelab version), or destroy the node and create it again"
  is_mounted "$dir/rootfs" ||
    mount -t overlay overlay -o "lowerdir=$(env_get "$env" ROOTFS),upperdir=$dir/upper,workdir=$dir/work" "$dir/rootfs"
  make_cgroups "$name" "$(env_get "$env" MEMORY)" >"$dir/cgroups"
  # The same as --privileged in a container engine: all capabilities the host has, no syscall
  # filter, every device allowed by the node's devices group; containerd's and kubelet's state
  # on plain folders (overlayfs on overlayfs fails), the host's kernel log for kubelet's OOM
  # watcher, no registration with (or scope from) a host systemd.
  local args=(systemd-nspawn --directory="$dir/rootfs" --machine="$name" --hostname="$(env_get "$env" HOSTNAME)"
    --register=no --keep-unit --capability=all --network-bridge="$(env_get "$env" BRIDGE)"
    --bind="$dir/containerd:/var/lib/containerd" --bind="$dir/kubelet:/var/lib/kubelet" --bind=/dev/kmsg
    --resolv-conf=off --timezone=off --link-journal=no --kill-signal=SIGRTMIN+3 --console=read-only)
  if [ -d "$ROOT/lib/modules" ]; then args+=(--bind-ro=/lib/modules); fi
  args+=(/usr/local/sbin/kubelab-init)
  echo "--- $(date -u +%FT%TZ) start" >>"$dir/nspawn.log"
  # setsid: its own session, so the node outlives the caller and its terminal; the launcher joins
  # the node's groups, then becomes systemd-nspawn (same pid).
  # shellcheck disable=SC2016 # expanded by the launcher
  setsid bash -c 'while read -r g; do echo "$$" >"$g/cgroup.procs"; done <"$1"; shift; exec env SYSTEMD_SECCOMP=0 "$@"' \
    kubelab-node "$dir/cgroups" "${args[@]}" </dev/null >>"$dir/nspawn.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/pid"
  # Until the launcher has become systemd-nspawn, the pid still shows this script's command line.
  local tries=0
  until node_pid "$name" >/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 50 ]; then
      die "systemd-nspawn for node $name did not start; see $dir/nspawn.log"
    fi
    tries=$((tries + 1))
    sleep 0.1
  done
  log "started node $name (pid $pid), waiting for SSH on $(env_get "$env" ADDRESS)"
}

# wait_ssh NAME: until the node's sshd shows the pinned host key (bounded), or the node died.
wait_ssh() {
  local name="$1" dir address key deadline
  dir="$(node_dir "$name")"
  address="$(env_get "$dir/node.env" ADDRESS)" key="$(cat "$dir/host_key.pub")"
  deadline=$(($(date +%s) + BOOT_TIMEOUT))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    node_pid "$name" >/dev/null || return 1
    if ssh-keyscan -T 1 -t ed25519 "$address" 2>/dev/null | cut -d' ' -f2,3 | grep -qxF "$key"; then return 0; fi
    sleep "$POLL"
  done
  return 1
}

# The host end of the node's veth: nspawn names it from the machine name (shortened when long),
# so it is read from the node's host0 peer index instead.
record_veth() {
  local name="$1" dir pid child leader="" index children=()
  dir="$(node_dir "$name")"
  pid="$(node_pid "$name")" || return 0
  read -r -a children 2>/dev/null <"$ROOT/proc/$pid/task/$pid/children" || true
  for child in "${children[@]}"; do
    if awk '/^NSpid:/ { exit !(NF == 3 && $3 == 1) }' "$ROOT/proc/$child/status" 2>/dev/null; then leader="$child"; fi
  done
  [ -n "$leader" ] || return 0
  index="$(nsenter -t "$leader" -n ip -o link show dev host0 | sed -n 's/^[0-9]*: host0@if\([0-9]*\):.*/\1/p')"
  [ -n "$index" ] || return 0
  ip -o link show | awk -F': ' -v i="$index" '$1 == i { split($2, n, "@"); print n[1] }' >"$dir/veth"
}
