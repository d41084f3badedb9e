#!/usr/bin/env bash
# Checks a built bundle's images with the bundle's own containerd, runc and ctr, on this host:
#   1. every images/*.tar imports with `ctr images import` (as install-bundle.sh does, pinned) and
#      carries exactly the manifest's reference;
#   2. the sample app's five images run together in one network namespace (loopback only, as
#      one pod would) and a vote cast on vote's port 80 shows up in result's /results.json.
# Usage: check-images.sh BUNDLE_DIR        (root; needs jq, curl, unshare, nsenter)
# containerd runs with its own root, state and socket under a temporary directory, inside a
# private mount namespace: nothing is left mounted or running on the host afterwards.
set -euo pipefail
bundle=$(realpath "${1:?usage: check-images.sh BUNDLE_DIR}")
[ -f "$bundle/manifest.json" ] || { echo "check-images: $bundle has no manifest.json" >&2; exit 2; }

if [ "${CHECK_IMAGES_INNER:-}" != 1 ]; then
  exec unshare --mount --propagation private env CHECK_IMAGES_INNER=1 "$0" "$@"
fi

work=$(mktemp -d /tmp/kubelab-check-images.XXXXXX)
sock=$work/containerd.sock
export PATH="$work/bin:$PATH"
log() { printf 'check-images: %s\n' "$*" >&2; }
# ctr on this containerd; its warning that cgroup v1 is deprecated is noise here.
# Its own namespace, so the containers' cgroups (/kubelab-check/<name>) are recognisably this check's.
NS=kubelab-check
kctr() { ctr -a "$sock" -n "$NS" "$@" 2> >(grep -v 'support for cgroup v1 is deprecated' >&2); }

cleanup() {
  set +e
  for c in $(kctr containers ls -q 2>/dev/null); do
    kctr tasks kill -s KILL "$c" >/dev/null 2>&1
    sleep 0.2
    kctr tasks rm -f "$c" >/dev/null 2>&1
    kctr containers rm "$c" >/dev/null 2>&1
  done
  [ -n "${containerd_pid:-}" ] && kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null
  for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

start_containerd() {
  mkdir -p "$work/bin"
  for b in containerd containerd-shim-runc-v2 ctr runc; do cp "$bundle/bin/$b" "$work/bin/$b"; done
  # No CRI: this containerd only imports and runs images by hand.
  cat >"$work/config.toml" <<EOF
version = 3
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
EOF
  containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
  containerd_pid=$!
  for _ in $(seq 50); do kctr version >/dev/null 2>&1 && return 0; sleep 0.2; done
  tail -n 20 "$work/containerd.log" >&2
  return 1
}

import_all() {
  local path ref names problems=0
  while IFS=$'\t' read -r path ref; do
    kctr images import --label io.cri-containerd.pinned=pinned "$bundle/$path" >/dev/null
    names=$(kctr images ls -q)
    if grep -qxF "$ref" <<<"$names"; then
      log "imported $ref"
    else
      log "FAIL: $path did not import as $ref (got: ${names//$'\n'/ })"
      problems=$((problems + 1))
    fi
  done < <(jq -r '.files[] | select(.kind == "image") | "\(.path)\t\(.ref)"' "$bundle/manifest.json")
  return "$problems"
}

ref_of() { jq -r --arg p "$1" '.files[] | select(.kind == "image" and .purpose == $p) | .ref' "$bundle/manifest.json"; }

# run NAME PURPOSE [ctr run options...]: one container joined to the pause container's network.
run() {
  local name=$1 purpose=$2
  shift 2
  kctr run -d --log-uri "file://$work/$name.log" --with-ns "network:/proc/$pod_pid/ns/net" "$@" \
    "$(ref_of "$purpose")" "$name" >/dev/null
}

in_pod() { nsenter -t "$pod_pid" -n "$@"; }

wait_port() {
  for _ in $(seq 120); do in_pod bash -c "echo >/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0; sleep 0.5; done
  log "FAIL: nothing answers on port $1"
  return 1
}

check_app() {
  kctr run -d "$(ref_of pause)" pod >/dev/null
  pod_pid=$(kctr tasks ls | awk '$1 == "pod" {print $2}')
  local creds=(--env POSTGRES_USER=postgres --env POSTGRES_PASSWORD=postgres)
  run db app:db "${creds[@]}" --env PGDATA=/var/lib/postgresql/data/pgdata
  run redis app:redis
  wait_port 5432 && wait_port 6379
  run worker app:worker --env REDIS_HOST=127.0.0.1 --env POSTGRES_HOST=127.0.0.1 "${creds[@]}"
  run vote app:vote --env REDIS_HOST=127.0.0.1
  # vote and result both listen on 80 in their own pods; sharing one network here, result takes 8080.
  run result app:result --env PORT=8080 --env POSTGRES_HOST=127.0.0.1 "${creds[@]}"
  wait_port 80 && wait_port 8080
  in_pod curl -fsS http://127.0.0.1:80/ | grep -q "<form" || { log "FAIL: vote's page has no form"; return 1; }
  in_pod curl -fsS -b voter_id=check1 -d vote=b http://127.0.0.1:80/ >/dev/null
  local doc=""
  for _ in $(seq 60); do
    doc=$(in_pod curl -fsS http://127.0.0.1:8080/results.json || true)
    [ "$(jq -r '.votes.b // 0' <<<"${doc:-{\}}" 2>/dev/null)" = 1 ] && { log "vote -> redis -> worker -> db -> result: $doc"; return 0; }
    sleep 1
  done
  log "FAIL: the vote never reached result (last answer: ${doc:-none})"
  for c in db redis worker vote result; do log "--- $c:" && tail -n 5 "$work/$c.log" >&2; done
  return 1
}

start_containerd
import_all
check_app
log "all images import with their manifest references; the app answers end to end"
