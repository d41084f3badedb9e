#!/usr/bin/env bats
# scripts/local-nodes/node.sh: arguments, host checks, the bridge and the rootfs, on stubbed commands.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=stubs.sh
  source "$BATS_TEST_DIRNAME/stubs.sh"
  sandbox_setup
}

teardown() { sandbox_teardown; }

@test "an unknown command prints the usage and exits 2" {
  run_sh frobnicate
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown command 'frobnicate'"* ]] || fail "$stderr"
  [[ "$stderr" == *"node.sh create NAME --address A/P --bridge BR"* ]] || fail "$stderr"
}

@test "create names every missing argument, then each bad value with what is accepted" {
  run_sh create n1 --address 10.213.0.2/24
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"create: missing --bridge --gateway --user --pubkey-file;"* ]] || fail "$stderr"
  local ok=(--bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub")
  run_sh create Node_1 --address 10.213.0.2/24 "${ok[@]}"
  [[ "$stderr" == *"node name 'Node_1' is not valid: use 1-63 lowercase letters"* ]] || fail "$stderr"
  run_sh create n1 --address 10.213.0.2 "${ok[@]}"
  [[ "$stderr" == *"address '10.213.0.2' is not valid: write an IPv4 address with its prefix"* ]] || fail "$stderr"
  run_sh create n1 --address 10.213.0.2/24 --bridge kl0 --gateway 10.9.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [[ "$stderr" == *"gateway 10.9.0.1 is outside the node's network 10.213.0.0/24"* ]] || fail "$stderr"
  run_sh create n1 --address 10.213.0.2/24 "${ok[@]}" --memory 1.5G
  [[ "$stderr" == *"memory '1.5G' is not valid"* ]] || fail "$stderr"
  run_sh create n1 --address 10.213.0.2/24 --bridge a-name-longer-than-15 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub"
  [[ "$stderr" == *"bridge name 'a-name-longer-than-15' is not valid"* ]] || fail "$stderr"
  [ ! -e "$STATE" ] || fail "nothing may be written for bad arguments"
}

@test "a private key given as the public key is refused without being echoed" {
  printf '%s\n' "-----BEGIN OPENSSH PRIVATE KEY-----" "c2VjcmV0LWtleS1tYXRlcmlhbA==" "-----END OPENSSH PRIVATE KEY-----" >"$SANDBOX/id"
  run_sh create n1 --address 10.213.0.2/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/id"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the public key input holds a private key; pass the .pub file"* ]] || fail "$stderr"
  [[ "$stderr$output" != *"c2VjcmV0"* ]] || fail "key material leaked: $stderr"
}

@test "host checks name the problem and the fix" {
  fake_rootfs
  local args=(create n1 --address 10.213.0.2/24 --bridge kl0 --gateway 10.213.0.1 --user kube --pubkey-file "$SANDBOX/user.pub")
  echo Darwin >"$STUB_STATE/uname"
  run_sh "${args[@]}"
  [[ "$stderr" == *"local nodes need a Linux host (this is Darwin)"* ]] || fail "$stderr"
  rm "$STUB_STATE/uname" && echo 1000 >"$STUB_STATE/uid"
  run_sh "${args[@]}"
  [[ "$stderr" == *"local nodes need root (mounts, cgroups, bridges)"* ]] || fail "$stderr"
  rm "$STUB_STATE/uid" && unstub systemd-nspawn
  run_sh "${args[@]}"
  [[ "$stderr" == *"systemd-nspawn not found; install it: apt-get install -y systemd-container"* ]] || fail "$stderr"
  unstub debootstrap
  run_sh rootfs
  [[ "$stderr" == *"debootstrap not found; install it: apt-get install -y debootstrap"* ]] || fail "$stderr"
}

@test "a host on the unified cgroup v2 hierarchy is refused with the reason" {
  stub systemd-nspawn
  echo "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0" >"$FAKE_ROOT/proc/self/mounts"
  run_sh start n1
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"this host runs the unified cgroup v2 hierarchy; local nodes support hosts with the cgroup v1 controllers"* ]] || fail "$stderr"
}

@test "bridge-up makes a marked bridge with the host address, and a second run changes nothing" {
  run_sh bridge-up kl0 10.213.0.1/24
  [ "$status" -eq 0 ] || fail "$stderr"
  grep -qx "kl0 bridge kubelab-local-nodes - 3" "$STUB_STATE/links" || fail "$(cat "$STUB_STATE/links")"
  grep -qx "kl0 10.213.0.1/24" "$STUB_STATE/addrs"
  : >"$CALLS"
  run_sh bridge-up kl0 10.213.0.1/24
  [ "$status" -eq 0 ] || fail "$stderr"
  ! called_like "^ip (link add|addr add)" || fail "$(cat "$CALLS")"
}

@test "bridge-up refuses a name taken by another interface and a network the host already has" {
  run_sh bridge-up eth0 10.213.0.1/24
  [[ "$stderr" == *"the name eth0 is taken by an interface kubelab did not make; choose another kubelab:nodes.local.bridge"* ]] || fail "$stderr"
  run_sh bridge-up kl0 192.0.2.200/25
  [[ "$stderr" == *"the node network 192.0.2.128/25 overlaps 192.0.2.2/24 on eth0; choose another kubelab:network.nodeCidr"* ]] || fail "$stderr"
  our_bridge kl0 10.213.0.1/24
  run_sh bridge-up kl0 10.99.0.1/24
  [[ "$stderr" == *"bridge kl0 already carries 10.213.0.1/24 (another lab?)"* ]] || fail "$stderr"
  ! called_like "^ip (link add|addr add)" || fail "$(cat "$CALLS")"
}

@test "bridge-down keeps a bridge nodes still use, removes an idle one, and never touches another's" {
  our_bridge kl0
  echo "vb-n1 veth - kl0 9" >>"$STUB_STATE/links"
  run_sh bridge-down kl0
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"bridge kl0 still has nodes attached (vb-n1 ); kept"* ]] || fail "$stderr"
  grep -q "^kl0 " "$STUB_STATE/links"
  sed -i '/^vb-n1 /d' "$STUB_STATE/links"
  run_sh bridge-down kl0
  [ "$status" -eq 0 ]
  ! grep -q "^kl0 " "$STUB_STATE/links"
  run_sh bridge-down kl0
  [ "$status" -eq 0 ] || fail "an absent bridge is fine: $stderr"
  run_sh bridge-down eth0
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"bridge eth0 was not made by kubelab; left alone"* ]] || fail "$stderr"
}

@test "rootfs debootstraps once from the host's mirror, customises, renames when complete, prints its path" {
  run_sh rootfs
  [ "$status" -eq 0 ] || fail "$stderr"
  local dir="$CACHE/local-nodes/rootfs-$(rootfs_key_of bookworm)"
  [ "$output" = "$dir" ] || fail "stdout: $output"
  called_like "^debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,openssh-server,sudo,.* --cache-dir=$CACHE/local-nodes/debs bookworm $dir.partial http://deb.example/debian/$" ||
    fail "$(cat "$CALLS")"
  [ -d "$dir" ] && [ ! -e "$dir.partial" ]
  [ ! -e "$dir/etc/ssh/ssh_host_rsa_key" ] || fail "host keys are per node"
  [ -L "$dir/var/lib/dbus/machine-id" ] && [ ! -s "$dir/etc/machine-id" ]
  grep -q "^HostKey /etc/ssh/ssh_host_ed25519_key$" "$dir/etc/ssh/sshd_config.d/kubelab.conf"
  [ -x "$dir/usr/local/sbin/kubelab-init" ]
  ! grep -q nameserver "$dir/etc/resolv.conf" || fail "the host's resolver leaked into the rootfs"
  called "chroot $dir.partial systemctl enable systemd-networkd ssh" || fail "$(cat "$CALLS")"
  : >"$CALLS"
  run_sh rootfs
  [ "$status" -eq 0 ] && [ "$output" = "$dir" ]
  ! called_like "^debootstrap" || fail "built twice"
}

@test "an interrupted rootfs build is started again; a failed one leaves no rootfs" {
  local dir="$CACHE/local-nodes/rootfs-$(rootfs_key_of bookworm)"
  mkdir -p "$dir.partial/half"
  touch "$STUB_STATE/debootstrap-fails"
  run_sh rootfs
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"debootstrap of Debian bookworm failed (full log: $dir.log)"* ]] || fail "$stderr"
  [ ! -e "$dir" ] && [ ! -e "$dir.partial/half" ]
  rm "$STUB_STATE/debootstrap-fails"
  run_sh rootfs
  [ "$status" -eq 0 ] && [ -d "$dir" ] && [ ! -e "$dir.partial" ]
}

@test "without an apt source for the release, rootfs asks for a mirror" {
  run_sh rootfs --release trixie
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"the host's apt has no source for Debian trixie main; set KUBELAB_DEBIAN_MIRROR"* ]] || fail "$stderr"
}
