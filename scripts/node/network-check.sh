#!/usr/bin/env bash
# Collects evidence for the Kubernetes networking model (issue 7): a netexec probe pod and a
# hostNetwork probe on every node, then pod-to-pod /clientip for every cross-node pair,
# hostNetwork-to-pod reachability, service DNS + TCP connect, and every NodePort on every node
# address. Prints ONE JSON document on stdout (everything else goes to stderr); judging it is the
# TypeScript evaluator's job (components/verify/evaluate.ts), so this exits 0 whenever it could
# observe, even when the network is broken. Nodes may lack jq: the JSON is written with printf.
# Runs wherever kubectl reaches the cluster: the first control plane or `npm run verify`.
set -euo pipefail
shopt -s inherit_errexit

: "${KUBECONFIG:?KUBECONFIG must name an admin kubeconfig}"
export KUBECONFIG
PROBE_IMAGE="${PROBE_IMAGE:-registry.k8s.io/e2e-test-images/agnhost:2.66.1}"
PROBE_NAMESPACE="${PROBE_NAMESPACE:-kubelab-netcheck}"
SERVICES="${SERVICES:-}"
NODEPORTS="${NODEPORTS:-}"
NODE_ADDRESSES="${NODE_ADDRESSES:-}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-180}"
CLUSTER_DOMAIN="${CLUSTER_DOMAIN:-cluster.local}"
KEEP_PROBES="${KEEP_PROBES:-0}"
# One request from a probe; a healthy lab answers in milliseconds.
REQUEST_SECONDS="${REQUEST_SECONDS:-5}"
PROBE_PORT=8080

log() { printf 'network-check: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

[[ "$TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || fail "TIMEOUT_SECONDS must be a positive integer, got '$TIMEOUT_SECONDS'"
[[ "$REQUEST_SECONDS" =~ ^[1-9][0-9]*$ ]] || fail "REQUEST_SECONDS must be a positive integer, got '$REQUEST_SECONDS'"
[[ "$PROBE_IMAGE" =~ ^[A-Za-z0-9./:@_-]+$ ]] || fail "PROBE_IMAGE is not an image reference: '$PROBE_IMAGE'"
[[ "$PROBE_NAMESPACE" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] || fail "PROBE_NAMESPACE is not a namespace name: '$PROBE_NAMESPACE'"
for entry in $SERVICES $NODEPORTS; do
  [[ "$entry" =~ ^[a-z0-9-]+/[a-z0-9-]+:[0-9]+$ ]] || fail "expected namespace/name:port in SERVICES/NODEPORTS, got '$entry'"
done
for entry in $NODE_ADDRESSES; do
  [[ "$entry" =~ ^[a-z0-9.-]+=[0-9A-Fa-f.:]+$ ]] || fail "expected name=address in NODE_ADDRESSES, got '$entry'"
done

# Every kubectl call is bounded: an API server that stops answering must not hang `pulumi up`.
kc() { timeout "$((TIMEOUT_SECONDS + 30))" kubectl "$@"; }

# Labels the NetworkPolicies that let the probes into app namespaces (see allow_probe_access).
ACCESS_LABEL="kubelab.dev/netcheck-access=probes"

ERR_FILE="$(mktemp)"
cleanup() {
  local status=$?
  rm -f "$ERR_FILE"
  if [ "$KEEP_PROBES" = 1 ]; then
    log "KEEP_PROBES=1: leaving namespace $PROBE_NAMESPACE and its access policies in place"
  else
    kc delete networkpolicy --all-namespaces -l "$ACCESS_LABEL" --ignore-not-found >&2 ||
      log "could not delete the NetworkPolicies labelled $ACCESS_LABEL; delete them by hand"
    kc delete namespace "$PROBE_NAMESPACE" --ignore-not-found --wait=false >&2 ||
      log "could not delete namespace $PROBE_NAMESPACE; delete it by hand"
  fi
  exit "$status"
}
trap cleanup EXIT

# JSON is written by hand: nodes may lack jq.
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}
json_bool() { if [ "$1" = 1 ]; then printf true; else printf false; fi; }
json_num() { if [[ "$1" =~ ^[0-9]+$ ]]; then printf '%d' "$((10#$1))"; else printf 0; fi; }
join_json() {
  local IFS=,
  printf '[%s]' "$*"
}

# run_probe POD CMD...: runs CMD in a probe pod; OUT gets stdout, ERR the last stderr line.
OUT="" ERR=""
run_probe() {
  local pod=$1 rc=0
  shift
  OUT=$(kc exec -n "$PROBE_NAMESPACE" "$pod" -- "$@" 2>"$ERR_FILE") || rc=$?
  ERR=$(tail -n 1 "$ERR_FILE")
  if [ "$rc" -ne 0 ] && [ -z "$ERR" ]; then ERR="exit status $rc"; fi
  return "$rc"
}
url_host() { if [[ "$1" == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }
http_get() { run_probe "$1" curl -sS --max-time "$REQUEST_SECONDS" "http://$(url_host "$2"):$3$4"; }

probe_manifest() {
  local node=$1 kind=$2 pod name args extra=""
  if [ "$kind" = pod ]; then
    pod="pod-$node" name=netexec args="[netexec, --http-port=$PROBE_PORT, --udp-port=-1]"
    extra="    ports: [{containerPort: $PROBE_PORT}]
    readinessProbe: {tcpSocket: {port: $PROBE_PORT}, periodSeconds: 2}"
  else
    pod="host-$node" name=pause args='["pause"]'
  fi
  cat <<EOF
---
apiVersion: v1
kind: Pod
metadata:
  name: $(json_str "$pod")
  namespace: $PROBE_NAMESPACE
  labels: {app.kubernetes.io/name: kubelab-netcheck, kubelab.dev/probe: $kind}
spec:
  nodeName: $(json_str "$node")
  hostNetwork: $([ "$kind" = host ] && echo true || echo false)
  dnsPolicy: $([ "$kind" = host ] && echo ClusterFirstWithHostNet || echo ClusterFirst)
  tolerations: [{operator: Exists}]
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  containers:
  - name: $name
    image: $(json_str "$PROBE_IMAGE")
    args: $args
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 64Mi}}
$extra
EOF
}

deploy_probes() {
  # hostNetwork pods are forbidden under the baseline Pod Security Standard.
  {
    printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$PROBE_NAMESPACE"
    printf '  labels:\n    pod-security.kubernetes.io/enforce: privileged\n'
    printf '    pod-security.kubernetes.io/audit: privileged\n    pod-security.kubernetes.io/warn: privileged\n'
    local node
    for node in "${CLUSTER_NODES[@]}"; do
      probe_manifest "$node" pod
      probe_manifest "$node" host
    done
  } | kc apply -f - >&2
  kc wait pod --all -n "$PROBE_NAMESPACE" --for=condition=Ready --timeout="${TIMEOUT_SECONDS}s" >&2 ||
    log "not every probe became Ready within ${TIMEOUT_SECONDS}s; recording what is there"
}

# An app namespace may deny ingress by default (the sample app does): its own policies admit only
# its tiers, so the service check's probe pods get a policy of their own, for the length of the
# check, admitting them and nothing else. The app's policies stay exactly as deployed.
access_policy() {
  cat <<EOF
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: kubelab-netcheck-probes
  namespace: $1
  labels: {${ACCESS_LABEL%%=*}: ${ACCESS_LABEL#*=}}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $PROBE_NAMESPACE}}
      podSelector: {matchLabels: {kubelab.dev/probe: pod}}
EOF
}

allow_probe_access() {
  local entry ns namespaces=()
  for entry in $SERVICES; do
    ns=${entry%%/*}
    [[ " ${namespaces[*]} " == *" $ns "* ]] || namespaces+=("$ns")
  done
  [ "${#namespaces[@]}" -gt 0 ] || return 0
  for ns in "${namespaces[@]}"; do access_policy "$ns"; done | kc apply -f - >&2
}

declare -A NODE_ADDR=() NODE_CIDR=() NODE_REGISTERED=() POD_IP=() POD_READY=() HOST_READY=()
CLUSTER_NODES=()
ALL_NODES=()

read_nodes() {
  local name cidr internal entry listing
  # `|`, not a tab: whitespace separators collapse, and an empty podCIDR would shift the fields.
  local jp='{range .items[*]}{.metadata.name}{"|"}{.spec.podCIDR}{"|"}'
  jp+='{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
  listing=$(kc get nodes -o jsonpath="$jp")
  while IFS='|' read -r name cidr internal; do
    [ -n "$name" ] || continue
    CLUSTER_NODES+=("$name")
    ALL_NODES+=("$name")
    NODE_REGISTERED[$name]=1
    NODE_CIDR[$name]=$cidr
    NODE_ADDR[$name]=${internal%% *}
  done <<<"$listing"
  [ "${#CLUSTER_NODES[@]}" -gt 0 ] || fail "the cluster lists no nodes"
  # The addresses kubelab knows win; a node kubelab created that never registered still counts.
  for entry in $NODE_ADDRESSES; do
    name=${entry%%=*}
    if [ -z "${NODE_REGISTERED[$name]:-}" ]; then
      ALL_NODES+=("$name")
      NODE_REGISTERED[$name]=0
      NODE_CIDR[$name]=""
    fi
    NODE_ADDR[$name]=${entry#*=}
  done
}

read_probes() {
  local pod node ip ready listing
  local jp='{range .items[*]}{.metadata.name}{"|"}{.spec.nodeName}{"|"}{.status.podIP}{"|"}'
  jp+='{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}'
  listing=$(kc get pods -n "$PROBE_NAMESPACE" -o jsonpath="$jp")
  while IFS='|' read -r pod node ip ready; do
    [ -n "$pod" ] || continue
    if [ "$pod" = "pod-$node" ]; then
      POD_IP[$node]=$ip
      POD_READY[$node]=$([ "$ready" = True ] && echo 1 || echo 0)
    elif [ "$pod" = "host-$node" ]; then
      HOST_READY[$node]=$([ "$ready" = True ] && echo 1 || echo 0)
    fi
  done <<<"$listing"
}

cluster_ip() { kc get service "$2" -n "$1" -o jsonpath='{.spec.clusterIP}' 2>/dev/null || true; }

nodes_json() {
  local out=() n
  for n in "${ALL_NODES[@]}"; do
    out+=("{\"name\":$(json_str "$n"),\"address\":$(json_str "${NODE_ADDR[$n]:-}"),\"podCIDR\":$(json_str "${NODE_CIDR[$n]:-}"),\"registered\":$(json_bool "${NODE_REGISTERED[$n]}")}")
  done
  join_json "${out[@]}"
}

probes_json() {
  local out=() n
  for n in "${CLUSTER_NODES[@]}"; do
    if [ "$1" = pod ]; then
      out+=("{\"node\":$(json_str "$n"),\"pod\":$(json_str "pod-$n"),\"ip\":$(json_str "${POD_IP[$n]:-}"),\"ready\":$(json_bool "${POD_READY[$n]:-0}")}")
    else
      out+=("{\"node\":$(json_str "$n"),\"pod\":$(json_str "host-$n"),\"ready\":$(json_bool "${HOST_READY[$n]:-0}")}")
    fi
  done
  join_json "${out[@]}"
}

# Every ordered pair of probe pods on different nodes: what the server saw as the caller's address.
pod_to_pod_json() {
  local out=() from to seen err
  for from in "${CLUSTER_NODES[@]}"; do
    for to in "${CLUSTER_NODES[@]}"; do
      [ "$from" != "$to" ] || continue
      seen="" err=""
      if [ -z "${POD_IP[$from]:-}" ] || [ -z "${POD_IP[$to]:-}" ]; then err="probe pod has no IP"
      elif http_get "pod-$from" "${POD_IP[$to]}" "$PROBE_PORT" /clientip; then seen=$OUT
      else err=$ERR; fi
      out+=("{\"from\":$(json_str "$from"),\"to\":$(json_str "$to"),\"fromIp\":$(json_str "${POD_IP[$from]:-}"),\"toIp\":$(json_str "${POD_IP[$to]:-}"),\"clientIp\":$(json_str "$seen"),\"error\":$(json_str "$err")}")
    done
  done
  join_json "${out[@]}"
}

# From every node's network namespace (hostNetwork probe) to every probe pod, same node included.
node_to_pod_json() {
  local out=() from to answer err
  for from in "${CLUSTER_NODES[@]}"; do
    for to in "${CLUSTER_NODES[@]}"; do
      answer="" err=""
      if [ -z "${POD_IP[$to]:-}" ]; then err="probe pod has no IP"
      elif http_get "host-$from" "${POD_IP[$to]}" "$PROBE_PORT" /hostname; then answer=$OUT
      else err=$ERR; fi
      out+=("{\"from\":$(json_str "$from"),\"to\":$(json_str "$to"),\"toIp\":$(json_str "${POD_IP[$to]:-}"),\"hostname\":$(json_str "$answer"),\"error\":$(json_str "$err")}")
    done
  done
  join_json "${out[@]}"
}

# First node whose pod probe is Ready: the vantage point for service checks.
first_probe() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do
    if [ "${POD_READY[$n]:-0}" = 1 ]; then printf '%s' "pod-$n" && return; fi
  done
}

services_json() {
  local out=() entry ns name port fqdn client resolved connected err ips
  client=$(first_probe)
  for entry in $SERVICES; do
    ns=${entry%%/*} name=${entry#*/} port=${entry##*:}
    name=${name%%:*}
    fqdn="$name.$ns.svc.$CLUSTER_DOMAIN" resolved=() connected=0 err=""
    if [ -z "$client" ]; then err="no probe pod is running"
    else
      if run_probe "$client" dig +short +time=2 +tries=2 "$fqdn" A "$fqdn" AAAA; then
        while read -r ips; do
          if [[ "$ips" =~ ^[0-9.]+$ || "$ips" =~ ^[0-9a-fA-F]*:[0-9a-fA-F:]+$ ]]; then resolved+=("$(json_str "$ips")"); fi
        done <<<"$OUT"
      else err=$ERR; fi
      if run_probe "$client" /agnhost connect "--timeout=${REQUEST_SECONDS}s" "$fqdn:$port"; then
        connected=1
      elif [ -z "$err" ]; then err=$ERR; fi
    fi
    out+=("{\"namespace\":$(json_str "$ns"),\"name\":$(json_str "$name"),\"port\":$(json_num "$port"),\"fqdn\":$(json_str "$fqdn"),\"clusterIp\":$(json_str "$(cluster_ip "$ns" "$name")"),\"resolved\":$(join_json "${resolved[@]}"),\"connected\":$(json_bool "$connected"),\"from\":$(json_str "$client"),\"error\":$(json_str "$err")}")
  done
  join_json "${out[@]}"
}

# A host probe on another node than `target`, so NodePort traffic arrives over the node network
# like an outside client's; a single-node cluster falls back to its own.
vantage_for() {
  local n fallback=""
  for n in "${CLUSTER_NODES[@]}"; do
    [ "${HOST_READY[$n]:-0}" = 1 ] || continue
    fallback=${fallback:-$n}
    if [ "$n" != "$1" ]; then printf '%s' "$n" && return; fi
  done
  printf '%s' "$fallback"
}

nodeport_answers_json() {
  local port=$1 out=() node from status err
  for node in "${ALL_NODES[@]}"; do
    from=$(vantage_for "$node") status=0 err=""
    if [ -z "${NODE_ADDR[$node]:-}" ]; then err="node has no address"
    elif [ -z "$from" ]; then err="no hostNetwork probe is running"
    else
      run_probe "host-$from" curl -sS -o /dev/null -w '%{http_code}' --max-time "$REQUEST_SECONDS" \
        "http://$(url_host "${NODE_ADDR[$node]}"):$port/" || err=$ERR
      status=$OUT
    fi
    out+=("{\"node\":$(json_str "$node"),\"address\":$(json_str "${NODE_ADDR[$node]:-}"),\"from\":$(json_str "$from"),\"httpStatus\":$(json_num "$status"),\"error\":$(json_str "$err")}")
  done
  join_json "${out[@]}"
}

nodeports_json() {
  local out=() entry ns name port
  for entry in $NODEPORTS; do
    ns=${entry%%/*} name=${entry#*/} port=${entry##*:}
    name=${name%%:*}
    out+=("{\"namespace\":$(json_str "$ns"),\"name\":$(json_str "$name"),\"nodePort\":$(json_num "$port"),\"clusterIp\":$(json_str "$(cluster_ip "$ns" "$name")"),\"answers\":$(nodeport_answers_json "$port")}")
  done
  join_json "${out[@]}"
}

main() {
  log "removing probes left by an earlier run"
  kc delete namespace "$PROBE_NAMESPACE" --ignore-not-found --wait=true --timeout="${TIMEOUT_SECONDS}s" >&2
  read_nodes
  log "deploying probes on ${#CLUSTER_NODES[@]} nodes ($PROBE_IMAGE)"
  deploy_probes
  allow_probe_access
  read_probes
  log "probing"
  # Everything is collected before anything is printed: stdout is one whole document or nothing.
  local head nodes pods hosts p2p n2p services nodeports
  head=$(printf '"version":1,"namespace":%s,"probeImage":%s,"clusterDomain":%s,"kubernetesServiceIp":%s' \
    "$(json_str "$PROBE_NAMESPACE")" "$(json_str "$PROBE_IMAGE")" "$(json_str "$CLUSTER_DOMAIN")" \
    "$(json_str "$(cluster_ip default kubernetes)")")
  nodes=$(nodes_json)
  pods=$(probes_json pod)
  hosts=$(probes_json host)
  p2p=$(pod_to_pod_json)
  n2p=$(node_to_pod_json)
  services=$(services_json)
  nodeports=$(nodeports_json)
  printf '{%s,"nodes":%s,"probes":%s,"hostProbes":%s,"podToPod":%s,"nodeToPod":%s,"services":%s,"nodePorts":%s}\n' \
    "$head" "$nodes" "$pods" "$hosts" "$p2p" "$n2p" "$services" "$nodeports"
}

main
