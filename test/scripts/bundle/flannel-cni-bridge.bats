#!/usr/bin/env bats
# The bundle's flannel CNI plugin with the bundle's bridge and host-local plugins, for real: ADD
# wires a pod network namespace to a bridge on flannel's lease, DEL undoes it. Everything happens
# in a throwaway network namespace (unshare), with leases and state in a temporary directory.
# Needs root and a bundle cache with the cni-plugins and flannel-cni components built.

setup() {
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
  cache=${KUBELAB_CACHE:-$HOME/.cache/kubelab}/bundle
  BRIDGE=$(find "$cache" -maxdepth 2 -path '*/cni-plugins-*/bridge' 2>/dev/null | head -n 1)
  FLANNEL=$(find "$cache" -maxdepth 2 -path '*/flannel-cni-*/flannel' 2>/dev/null | head -n 1)
  [ -n "$BRIDGE" ] && [ -n "$FLANNEL" ] || skip "no built cni-plugins and flannel-cni in $cache (run npm run bundle)"
  unshare --net true 2>/dev/null || skip "cannot create a network namespace here"
  WORK=$(mktemp -d)
  mkdir "$WORK/bin"
  cp "$BRIDGE" "$(dirname "$BRIDGE")/host-local" "$(dirname "$BRIDGE")/loopback" "$FLANNEL" "$WORK/bin/"
  printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' >"$WORK/subnet.env"
  # The flannel chart's configuration, with this test's state directories.
  cat >"$WORK/conf.json" <<JSON
{"cniVersion":"1.0.0","name":"cbr0","type":"flannel","subnetFile":"$WORK/subnet.env","dataDir":"$WORK/flannel",
 "ipam":{"dataDir":"$WORK/ipam"},"delegate":{"hairpinMode":true,"isDefaultGateway":true}}
JSON
}

teardown() {
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

@test "ADD puts the pod on the node's lease behind a bridge gateway; DEL removes it and its saved state" {
  run unshare --net bash -euo pipefail -c '
    work=$1
    ip link set lo up
    unshare --net sleep 30 & pod=$!
    sleep 0.2
    cni() { CNI_COMMAND=$1 CNI_CONTAINERID=pod1 CNI_NETNS=/proc/$pod/ns/net CNI_IFNAME=eth0 CNI_PATH=$work/bin \
      "$work/bin/flannel" <"$work/conf.json"; }
    cni ADD >"$work/add.json"
    echo "saved: $(ls "$work/flannel")"
    echo "bridge: $(ip -o -4 addr show cni0 | awk "{print \$4}") mtu $(ip -o link show cni0 | sed "s/.* mtu \([0-9]*\).*/\1/")"
    echo "pod: $(nsenter -t $pod -n ip -o -4 addr show eth0 | awk "{print \$4}")"
    echo "routes: $(nsenter -t $pod -n ip -4 route | tr "\n" ";")"
    nsenter -t $pod -n ping -c 1 -W 2 10.244.1.1 >/dev/null && echo "gateway answers"
    cni DEL
    echo "after del: $(ls "$work/flannel" | wc -l) saved, $(nsenter -t $pod -n ip -o link show eth0 2>/dev/null | wc -l) eth0"
    kill $pod' _ "$WORK"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  echo "$output"
  [[ "$output" == *"saved: pod1"* ]]
  [[ "$output" == *"bridge: 10.244.1.1/24 mtu 1450"* ]]
  [[ "$output" =~ pod:\ 10\.244\.1\.[0-9]+/24 ]]
  [[ "$output" == *"default via 10.244.1.1"* ]]
  [[ "$output" == *"10.244.0.0/16 via 10.244.1.1"* ]]
  [[ "$output" == *"gateway answers"* ]]
  [[ "$output" == *"after del: 0 saved, 0 eth0"* ]]
  jq -e '.ips[0].address | startswith("10.244.1.")' "$WORK/add.json"
}
