# shellcheck shell=bash
# node.sh create: a node's own writable layer over the shared rootfs, with its identity (host key,
# machine-id, hostname), its network, its resolver and the SSH user. Nothing runs yet.

create_usage="usage: node.sh create NAME --address A.B.C.D/P --bridge BR --gateway G --user U --pubkey-file FILE|- [--memory SIZE] [--hostname H] [--release R]"

cmd_create() {
  local name="${1:-}" address="" bridge="" gateway="" user="" pubkey_file="" memory="" hostname="" release="$DEFAULT_RELEASE"
  if [ -z "$name" ] || [ "${name#-}" != "$name" ]; then die "$create_usage"; fi
  shift
  while [ "$#" -gt 0 ]; do
    [ "$#" -ge 2 ] || die "$1 needs a value; $create_usage"
    case "$1" in
      --address) address="$2" ;;
      --bridge) bridge="$2" ;;
      --gateway) gateway="$2" ;;
      --user) user="$2" ;;
      --pubkey-file) pubkey_file="$2" ;;
      --memory) memory="$2" ;;
      --hostname) hostname="$2" ;;
      --release) release="$2" ;;
      *) die "create: unknown argument '$1'; $create_usage" ;;
    esac
    shift 2
  done
  local missing="" arg
  for arg in address bridge gateway user pubkey_file; do [ -n "${!arg}" ] || missing+=" --${arg//_/-}"; done
  [ -z "$missing" ] || die "create: missing$missing; $create_usage"
  hostname="${hostname:-$name}"
  check_create_args "$name" "$address" "$bridge" "$gateway" "$user" "$memory" "$hostname"
  local pubkey
  pubkey="$(read_pubkey "$pubkey_file")"
  host_checks
  need_cmd ping iputils-ping
  need_cmd useradd passwd
  local rootfs
  rootfs="$(rootfs_dir "$release")"
  [ -d "$rootfs" ] || die "the node rootfs for $release is not built yet; run: node.sh rootfs --release $release"

  local dir wanted
  dir="$(node_dir "$name")"
  wanted="$(printf '%s\n' "ADDRESS=${address%/*}" "PREFIX=${address#*/}" "BRIDGE=$bridge" "GATEWAY=$gateway" \
    "USER=$user" "MEMORY=$memory" "HOSTNAME=$hostname" "ROOTFS=$rootfs" \
    "PUBKEY=$(echo "$pubkey" | awk '{ print $1 "-" $2 }' | sha256sum | cut -c1-16)")"
  if [ -f "$dir/created" ]; then
    keep_node "$name" "$wanted"
    return 0
  fi
  if [ -e "$dir" ]; then
    log "removing the half-made node $name left by an interrupted create"
    destroy_node "$name"
  fi
  check_address_free "$name" "$bridge" "${address%/*}"
  # A create that fails half-way leaves nothing behind (NAME is checked: no quoting issue).
  # shellcheck disable=SC2064
  trap "destroy_node '$name' >/dev/null 2>&1 || true" EXIT
  make_node "$name" "$dir" "$rootfs" "$pubkey" "$wanted"
  trap - EXIT
  cat "$dir/host_key.pub"
}

# check_create_args NAME A/P BRIDGE GATEWAY USER MEMORY HOSTNAME
check_create_args() {
  check_name "$1"
  check_cidr "address" "$2"
  check_bridge_name "$3"
  check_ipv4 gateway "$4"
  in_network "$4" "$(network_of "$2")" || die "gateway $4 is outside the node's network $(network_of "$2")"
  [ "$4" != "${2%/*}" ] || die "gateway $4 is the node's own address; the gateway is the host's address on the bridge"
  check_user "$5"
  [ -z "$6" ] || check_memory "$6"
  check_name "$7"
}

# keep_node NAME WANTED-ENV: an existing node with the same settings is kept (its host key printed);
# other settings need a destroy first. A node keeps the rootfs it was made from, even after the
# cache key moved on.
keep_node() {
  local name="$1" wanted="$2" dir differs
  dir="$(node_dir "$name")"
  differs="$(diff <(grep -v '^ROOTFS=' "$dir/node.env") <(grep -v '^ROOTFS=' <<<"$wanted") | sed -n 's/^< //p' | tr '\n' ' ' || true)"
  [ -z "$differs" ] || die "node $name exists with other settings (${differs% }); destroy it first: node.sh destroy $name"
  log "node $name exists; kept"
  cat "$dir/host_key.pub"
}

# read_pubkey FILE|-: one OpenSSH public key line; a private key is refused without echoing it.
read_pubkey() {
  local text
  if [ "$1" = - ]; then text="$(cat)"; else
    [ -r "$1" ] || die "public key file $1 is not readable"
    text="$(cat "$1")"
  fi
  if grep -q "PRIVATE KEY" <<<"$text"; then die "the public key input holds a private key; pass the .pub file"; fi
  text="$(grep -v '^[[:space:]]*$' <<<"$text" || true)"
  local line='^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=*( .*)?$'
  [[ "$text" != *$'\n'* && "$text" =~ $line ]] ||
    die "the public key input is not one OpenSSH public key line (such as 'ssh-ed25519 AAAA... user@host')"
  echo "$text"
}

make_node() {
  local name="$1" dir="$2" rootfs="$3" pubkey="$4" wanted="$5" merged
  merged="$dir/rootfs"
  mkdir -p "$dir/upper" "$dir/work" "$merged" "$dir/containerd" "$dir/kubelet"
  echo "$wanted" >"$dir/node.env"
  mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" "$merged"
  write_identity "$merged" "$(env_get "$dir/node.env" HOSTNAME)"
  write_network "$merged" "$dir/node.env"
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$merged/etc/ssh/ssh_host_ed25519_key"
  cut -d' ' -f1,2 "$merged/etc/ssh/ssh_host_ed25519_key.pub" >"$dir/host_key.pub"
  add_user "$merged" "$(env_get "$dir/node.env" USER)" "$pubkey"
  umount "$merged"
  touch "$dir/created"
  log "created node $name ($(env_get "$dir/node.env" ADDRESS)) in $dir"
}

write_identity() {
  local merged="$1" hostname="$2"
  echo "$hostname" >"$merged/etc/hostname"
  printf '%s\n' "127.0.0.1 localhost" "127.0.1.1 $hostname" "::1 localhost ip6-localhost ip6-loopback" >"$merged/etc/hosts"
  # Persistent and unique: systemd would otherwise make a transient one at every boot.
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$merged/etc/machine-id"
  echo >>"$merged/etc/machine-id"
}

# The node's end of its veth (host0 inside systemd-nspawn), its address, and a default route to
# the host, which kubeadm and kubelet need to pick the node address; the host forwards nothing,
# so the route ends there. DNS: only the host's address on the bridge.
write_network() {
  local merged="$1" env="$2"
  mkdir -p "$merged/etc/systemd/network"
  printf '%s\n' "[Match]" "Name=host0" "" "[Network]" \
    "Address=$(env_get "$env" ADDRESS)/$(env_get "$env" PREFIX)" "Gateway=$(env_get "$env" GATEWAY)" \
    "LinkLocalAddressing=no" "IPv6AcceptRA=no" >"$merged/etc/systemd/network/10-host0.network"
  echo "nameserver $(env_get "$env" GATEWAY)" >"$merged/etc/resolv.conf"
}

# add_user ROOTFS USER PUBKEY: USER (or root) with the key authorized and passwordless sudo.
add_user() {
  local merged="$1" user="$2" pubkey="$3" home uid gid
  if ! grep -q "^$user:" "$merged/etc/passwd"; then
    useradd --root "$merged" --create-home --shell /bin/bash --groups sudo "$user"
  fi
  IFS=: read -r _ _ uid gid _ home _ < <(grep "^$user:" "$merged/etc/passwd")
  install -d -m 0700 -o "$uid" -g "$gid" "$merged$home/.ssh"
  echo "$pubkey" >"$merged$home/.ssh/authorized_keys"
  chown "$uid:$gid" "$merged$home/.ssh/authorized_keys"
  chmod 0600 "$merged$home/.ssh/authorized_keys"
  if [ "$user" != root ]; then
    echo "$user ALL=(ALL) NOPASSWD:ALL" >"$merged/etc/sudoers.d/kubelab-$user"
    chmod 0440 "$merged/etc/sudoers.d/kubelab-$user"
  fi
}
