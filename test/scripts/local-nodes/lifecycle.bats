#!/usr/bin/env bats
# scripts/local-nodes/node.sh create/start/stop/destroy/status on stubbed commands and a fake host.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=stubs.sh
  source "$BATS_TEST_DIRNAME/stubs.sh"
  sandbox_setup
  fake_rootfs
  ROOTFS="$CACHE/local-nodes/rootfs-$(rootfs_key_of bookworm)"
  mkdir -p "$ROOTFS/etc/ssh" "$ROOTFS/etc/sudoers.d"
  echo "root:x:0:0:root:/root:/bin/bash" >"$ROOTFS/etc/passwd"
}

teardown() { sandbox_teardown; }

# The files create writes land in the overlay's upper layer; the stubbed mount is a copy of the
# lower layer, so they stay in the merged directory itself.
merged() { echo "$STATE/$1/rootfs"; }

@test "create gives the node its identity, network, resolver and user, then unmounts; it prints the host key" {
  create_node n1 10.213.0.2
  local m
  m="$(merged n1)"
  [ "$output" = "$(cat "$STATE/n1/host_key.pub")" ] || fail "stdout: $output"
  [[ "$output" == "ssh-ed25519 AAAA"* ]]
  called "mount -t overlay overlay -o lowerdir=$ROOTFS,upperdir=$STATE/n1/upper,workdir=$STATE/n1/work $m"
  called "umount $m"
  [ "$(cat "$m/etc/hostname")" = node-1 ]
  grep -qx "Address=10.213.0.2/24" "$m/etc/systemd/network/10-host0.network"
  grep -qx "Gateway=10.213.0.1" "$m/etc/systemd/network/10-host0.network"
  [ "$(cat "$m/etc/resolv.conf")" = "nameserver 10.213.0.1" ]
  [[ "$(cat "$m/etc/machine-id")" =~ ^[0-9a-f]{32}$ ]]
  called "useradd --root $m --create-home --shell /bin/bash --groups sudo kube"
  [ "$(cat "$m/home/kube/.ssh/authorized_keys")" = "$USER_KEY" ]
  [ "$(stat -c %a "$m/home/kube/.ssh/authorized_keys")" = 600 ]
  [ "$(cat "$m/etc/sudoers.d/kubelab-kube")" = "kube ALL=(ALL) NOPASSWD:ALL" ]
  [ -f "$STATE/n1/created" ] && [ -d "$STATE/n1/containerd" ] && [ -d "$STATE/n1/kubelet" ]
  ! grep -q " $m " "$FAKE_ROOT/proc/self/mounts" || fail "left mounted"
}

@test "two nodes get different machine-ids and host keys" {
  create_node n1 10.213.0.2
  create_node n2 10.213.0.3
  [ "$(cat "$(merged n1)/etc/machine-id")" != "$(cat "$(merged n2)/etc/machine-id")" ]
  [ "$(cat "$STATE/n1/host_key.pub")" != "$(cat "$STATE/n2/host_key.pub")" ]
}

@test "create again with the same settings keeps the node; other settings are refused by name" {
  create_node n1 10.213.0.2
  local key="$output"
  : >"$CALLS"
  create_node n1 10.213.0.2
  [ "$output" = "$key" ]
  [[ "$stderr" == *"node n1 exists; kept"* ]] || fail "$stderr"
  ! called_like "^(useradd|mount|ssh-keygen) " || fail "$(cat "$CALLS")"
  run_sh create n1 --address 10.213.0.9/24 --bridge kl0 --gateway 10.213.0.1 --user kube \
    --pubkey-file "$SANDBOX/user.pub" --memory 2G --hostname node-1
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"node n1 exists with other settings (ADDRESS=10.213.0.2); destroy it first: node.sh destroy n1"* ]] || fail "$stderr"
}

@test "an address on the host, of another node, or answering on the bridge is refused" {
  echo "eth0 10.213.0.2/32" >>"$STUB_STATE/addrs"
  run_sh create n1 --address 10.213.0.2/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [[ "$stderr" == *"address 10.213.0.2 is already assigned on this host (eth0)"* ]] || fail "$stderr"
  create_node n1 10.213.0.3
  run_sh create n2 --address 10.213.0.3/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [[ "$stderr" == *"address 10.213.0.3 belongs to node n1"* ]] || fail "$stderr"
  our_bridge kl0
  echo 10.213.0.4 >"$STUB_STATE/answers"
  run_sh create n2 --address 10.213.0.4/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [[ "$stderr" == *"address 10.213.0.4 already answers on bridge kl0"* ]] || fail "$stderr"
  called "ping -c 1 -W 1 -I kl0 10.213.0.4"
  [ ! -e "$STATE/n2" ]
}

@test "a create that fails half-way leaves nothing behind, and the next one succeeds" {
  fail_stub ssh-keygen 1
  run_sh create n1 --address 10.213.0.2/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [ "$status" -eq 1 ]
  [ ! -e "$STATE/n1" ] || fail "left: $(find "$STATE/n1" -maxdepth 1)"
  ! grep -q overlay "$FAKE_ROOT/proc/self/mounts" || fail "left mounted"
  rm "$STUB_STATE/fail.ssh-keygen"
  create_node n1 10.213.0.2
}

@test "start boots the node detached as a privileged systemd-nspawn in its own cgroups, waits for SSH, prints the JSON" {
  create_node n1 10.213.0.2
  run_sh start n1 --token tok-1
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "{\"name\":\"n1\",\"address\":\"10.213.0.2\",\"hostKey\":\"$(cat "$STATE/n1/host_key.pub")\"}" ] || fail "$output"
  local m nspawn
  m="$(merged n1)"
  nspawn="$(grep "^systemd-nspawn " "$CALLS")"
  local flag
  for flag in "--directory=$m" --machine=n1 --hostname=node-1 --register=no --keep-unit --capability=all \
    --network-bridge=kl0 "--bind=$STATE/n1/containerd:/var/lib/containerd" "--bind=$STATE/n1/kubelet:/var/lib/kubelet" \
    --bind=/dev/kmsg --resolv-conf=off --kill-signal=SIGRTMIN+3 /usr/local/sbin/kubelab-init; do
    [[ " $nspawn " == *" $flag "* ]] || fail "missing $flag in: $nspawn"
  done
  called "SYSTEMD_SECCOMP=0"
  called_like "^setsid bash -c "
  called "mount -t overlay overlay -o lowerdir=$ROOTFS,upperdir=$STATE/n1/upper,workdir=$STATE/n1/work $m"
  grep -qx "kl0 bridge kubelab-local-nodes - [0-9]*" "$STUB_STATE/links" || fail "start makes the bridge when missing"
  [ "$(cat "$STATE/n1/veth")" = vb-n1 ]
}

@test "each node has a group in every hierarchy, memory under the caller's own, with the limit and the CPUs" {
  create_node n1 10.213.0.2
  run_sh start n1
  [ "$status" -eq 0 ] || fail "$stderr"
  local cg="$FAKE_ROOT/sys/fs/cgroup" pid c
  pid="$(cat "$STATE/n1/pid")"
  for c in cpu cpuacct cpuset devices freezer blkio pids systemd unified; do
    grep -qx "$pid" "$cg/$c/kubelab/n1/cgroup.procs" || fail "not in $c"
  done
  grep -qx "$pid" "$cg/memory$MEMCG/kubelab/n1/cgroup.procs"
  [ "$(cat "$cg/memory$MEMCG/kubelab/n1/memory.limit_in_bytes")" = 2G ]
  [ "$(cat "$cg/cpuset/kubelab/n1/cpuset.cpus")" = 0-1 ] && [ "$(cat "$cg/cpuset/kubelab/cpuset.mems")" = 0 ]
}

@test "start sets kubelet's host sysctls only when different, keeps the old values, never forwarding" {
  create_node n1 10.213.0.2
  run_sh start n1
  [ "$status" -eq 0 ] || fail "$stderr"
  called "sysctl -qw vm.overcommit_memory=1" && called "sysctl -qw kernel.panic=10" && called "sysctl -qw kernel.panic_on_oops=1"
  called "sysctl -qw fs.inotify.max_user_instances=512"
  ! called "sysctl -qw fs.inotify.max_user_watches=524288" || fail "a higher value is never lowered"
  ! called_like "sysctl -qw (vm.panic_on_oom|kernel.keys)" || fail "already right: $(cat "$CALLS")"
  ! called_like "ip_forward" || fail "$(cat "$CALLS")"
  grep -qx "kernel.panic=0" "$SANDBOX/host/host-sysctl.before"
  [[ "$stderr" == *"host sysctl kernel.panic: 0 -> 10"* ]] || fail "$stderr"
  run_sh stop n1
  : >"$CALLS"
  run_sh start n1
  ! called_like "^sysctl " || fail "set twice: $(cat "$CALLS")"
}

@test "start on a running node leaves it alone and still prints the JSON; status reports it with its token" {
  create_node n1 10.213.0.2
  run_sh start n1 --token tok-1
  local first="$output" pid
  pid="$(cat "$STATE/n1/pid")"
  : >"$CALLS"
  run_sh start n1 --token tok-2
  [ "$status" -eq 0 ] && [ "$output" = "$first" ]
  ! called_like "^(systemd-nspawn|setsid|mount) " || fail "$(cat "$CALLS")"
  [ "$(cat "$STATE/n1/pid")" = "$pid" ]
  run_sh status n1 --json
  [ "$output" = '{"state":"running","token":"tok-2"}' ] || fail "$output"
  run_sh status n1
  [ "$output" = running ]
  run_sh status n9
  [ "$output" = absent ]
}

@test "a node that never answers SSH fails start within the bound and is stopped" {
  create_node n1 10.213.0.2
  touch "$STUB_STATE/ssh-silent"
  BOOT_TIMEOUT=1 run_sh start n1
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"node n1 did not answer SSH within 1s; it was stopped"* ]] || fail "$stderr"
  [ -z "$(live_nodes)" ] || fail "still running: $(live_nodes)"
  run_sh status n1
  [ "$output" = stopped ]
}

@test "a node whose systemd-nspawn dies at once fails start with its log" {
  create_node n1 10.213.0.2
  touch "$STUB_STATE/nspawn-dies"
  run_sh start n1
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"did not start; see $STATE/n1/nspawn.log"* || "$stderr" == *"did not answer SSH"* ]] || fail "$stderr"
  grep -q "Failed to mount: Invalid argument" "$STATE/n1/nspawn.log"
}

@test "stop halts with SIGTERM, and releases cgroups, veth and mount; the disk stays" {
  create_node n1 10.213.0.2
  run_sh start n1
  local pid
  pid="$(cat "$STATE/n1/pid")"
  run_sh stop n1
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kill -s TERM $pid"
  ! called "kill -s KILL $pid" || fail "an orderly halt needs no KILL"
  [ -z "$(find "$FAKE_ROOT/sys/fs/cgroup" -path '*/kubelab*')" ] || fail "$(find "$FAKE_ROOT/sys/fs/cgroup" -path '*/kubelab*')"
  ! grep -q overlay "$FAKE_ROOT/proc/self/mounts"
  [ -f "$STATE/n1/created" ] && [ ! -e "$STATE/n1/pid" ]
  run_sh status n1
  [ "$output" = stopped ]
}

@test "a node that ignores the halt is killed after the bound" {
  create_node n1 10.213.0.2
  run_sh start n1
  touch "$STUB_STATE/ignore-term"
  STOP_TIMEOUT=1 run_sh stop n1
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$stderr" == *"node n1 did not halt within 1s; killing it"* ]] || fail "$stderr"
  called "kill -s KILL $(grep -o '[0-9]*' <<<"$(grep '^kill -s TERM' "$CALLS")")"
  [ -z "$(live_nodes)" ]
}

@test "destroy removes every trace of a running node and is fine to repeat" {
  create_node n1 10.213.0.2
  run_sh start n1
  run_sh destroy n1
  [ "$status" -eq 0 ] || fail "$stderr"
  [ ! -e "$STATE/n1" ] && [ -z "$(live_nodes)" ]
  [ -z "$(find "$FAKE_ROOT/sys/fs/cgroup" -path '*/kubelab*')" ]
  ! grep -q overlay "$FAKE_ROOT/proc/self/mounts"
  ! grep -q "^vb-n1 " "$STUB_STATE/links"
  run_sh destroy n1
  [ "$status" -eq 0 ] || fail "$stderr"
}

@test "destroy of a half-made node (mounted, orphaned processes in its cgroups) leaves nothing" {
  mkdir -p "$STATE/n1/upper" "$STATE/n1/rootfs" "$FAKE_ROOT/sys/fs/cgroup/pids/kubelab/n1/init.scope"
  echo "overlay $STATE/n1/rootfs overlay rw 0 0" >>"$FAKE_ROOT/proc/self/mounts"
  mkdir -p "$FAKE_ROOT/proc/424242" && echo 424242 >"$FAKE_ROOT/sys/fs/cgroup/pids/kubelab/n1/init.scope/cgroup.procs"
  echo "$FAKE_ROOT/sys/fs/cgroup/pids/kubelab/n1" >"$STATE/n1/cgroups"
  run_sh destroy n1
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kill -s KILL 424242"
  [ ! -e "$STATE/n1" ] && [ ! -e "$FAKE_ROOT/sys/fs/cgroup/pids/kubelab" ]
  ! grep -q overlay "$FAKE_ROOT/proc/self/mounts"
}

@test "kill cuts the power: no halt asked for, every process of the node killed, the disk kept for start" {
  create_node n1 10.213.0.2
  run_sh start n1
  local pid
  pid="$(cat "$STATE/n1/pid")"
  run_sh kill n1
  [ "$status" -eq 0 ] || fail "$stderr"
  called "kill -s KILL $pid" || fail "$(cat "$CALLS")"
  ! called "kill -s TERM $pid" || fail "a power cut asks for no halt"
  [ -z "$(live_nodes)" ]
  [ -z "$(find "$FAKE_ROOT/sys/fs/cgroup" -path '*/kubelab*')" ] || fail "$(find "$FAKE_ROOT/sys/fs/cgroup" -path '*/kubelab*')"
  [ -f "$STATE/n1/created" ]
  run_sh status n1
  [ "$output" = stopped ]
  run_sh kill n1
  [ "$status" -eq 0 ] || fail "a second kill: $stderr"
}
