# shellcheck shell=bash
# The Linux bridge the nodes of a lab share, with the host's address on it. The host forwards
# nothing (its ip_forward is left as it is), so nodes reach the host and each other only.

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# Whether BR was made by node.sh: a bridge carrying our alias.
is_our_bridge() {
  ip -d link show dev "$1" 2>/dev/null | grep -q ' bridge ' &&
    [ "$(ip -o link show dev "$1" 2>/dev/null | sed -n 's/.* alias \(.*\)$/\1/p')" = "$BRIDGE_ALIAS" ]
}

# Every IPv4 address on the host, as "DEVICE A.B.C.D/P" lines.
host_addresses() { ip -o -4 addr show | awk '{ print $2, $4 }'; }

# check_network_free BR N.N.N.N/P: no other interface holds an address in, or a route overlapping,
# the lab network (it would swallow the nodes' traffic, or theirs would reach another network).
check_network_free() {
  local br="$1" net="$2" dev addr route
  while read -r dev addr; do
    [ "$dev" = "$br" ] && continue
    if in_network "${addr%/*}" "$net" || in_network "${net%/*}" "$(network_of "$addr")"; then
      die "the node network $net overlaps $addr on $dev; choose another kubelab:network.nodeCidr"
    fi
  done < <(host_addresses)
  while read -r route dev; do
    [ "$dev" = "$br" ] || [ "$route" = default ] && continue
    [[ "$route" == */* ]] || route="$route/32"
    if in_network "${route%/*}" "$net" || in_network "${net%/*}" "$route"; then
      die "the node network $net overlaps the route $route on $dev; choose another kubelab:network.nodeCidr"
    fi
  done < <(ip -o -4 route show | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $1, $(i + 1); break } }')
}

# bridge-up BR G/P: makes the bridge with the host address G/P, or checks the one already there.
cmd_bridge_up() {
  [ "$#" -eq 2 ] || die "usage: node.sh bridge-up BRIDGE ADDRESS/PREFIX (the host's address on the bridge)"
  need_linux
  need_root
  need_cmd ip iproute2
  need_cmd flock util-linux
  with_host_lock bridge_up "$1" "$2"
}

bridge_up() {
  local br="$1" cidr="$2" net have
  check_bridge_name "$br"
  check_cidr "bridge address" "$cidr"
  net="$(network_of "$cidr")"
  if link_exists "$br"; then
    is_our_bridge "$br" ||
      die "the name $br is taken by an interface kubelab did not make; choose another kubelab:nodes.local.bridge"
    have="$(ip -o -4 addr show dev "$br" | awk '{ print $4 }')"
    if [ -n "$have" ] && ! grep -qxF "$cidr" <<<"$have"; then
      die "bridge $br already carries $(echo "$have" | tr '\n' ' ')(another lab?); give this lab its own kubelab:nodes.local.bridge"
    fi
  fi
  check_network_free "$br" "$net"
  if ! link_exists "$br"; then
    log "creating bridge $br with $cidr"
    ip link add name "$br" type bridge
    ip link set dev "$br" alias "$BRIDGE_ALIAS"
  fi
  if ! ip -o -4 addr show dev "$br" | awk '{ print $4 }' | grep -qxF "$cidr"; then
    ip addr add "$cidr" dev "$br"
  fi
  ip link set dev "$br" up
}

# bridge-down BR: removes the bridge once no node is attached; never one kubelab did not make.
cmd_bridge_down() {
  [ "$#" -eq 1 ] || die "usage: node.sh bridge-down BRIDGE"
  local br="$1" ports
  check_bridge_name "$br"
  need_linux
  need_root
  need_cmd ip iproute2
  link_exists "$br" || return 0
  is_our_bridge "$br" || die "bridge $br was not made by kubelab; left alone"
  ports="$(ip -o link show master "$br" | awk -F': ' '{ print $2 }' | cut -d@ -f1 | tr '\n' ' ')"
  if [ -n "$ports" ]; then
    log "bridge $br still has nodes attached ($ports); kept"
    return 0
  fi
  with_host_lock remove_bridge "$br"
}

# The port check again under the lock: a node may have been started since.
remove_bridge() {
  if [ -n "$(ip -o link show master "$1")" ]; then
    log "bridge $1 got a node attached meanwhile; kept"
    return 0
  fi
  ip link del dev "$1"
  log "removed bridge $1"
}

# check_address_free NAME BR A.B.C.D: not on the host, not another node's here, not answering.
check_address_free() {
  local name="$1" br="$2" ip="$3" dev addr other
  while read -r dev addr; do
    [ "${addr%/*}" = "$ip" ] && die "address $ip is already assigned on this host ($dev); choose another node address"
  done < <(host_addresses)
  for other in "$STATE_DIR"/*/node.env; do
    [ -f "$other" ] || continue
    [ "$(basename "$(dirname "$other")")" = "$name" ] && continue
    if [ "$(env_get "$other" ADDRESS)" = "$ip" ]; then
      die "address $ip belongs to node $(basename "$(dirname "$other")"); choose another address or destroy that node"
    fi
  done
  # Only asked over our own bridge (-I), so the probe never leaves the host.
  if link_exists "$br" && is_our_bridge "$br" && ping -c 1 -W 1 -I "$br" "$ip" >/dev/null 2>&1; then
    die "address $ip already answers on bridge $br; choose another node address or stop what holds it"
  fi
}
