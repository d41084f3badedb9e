#!/usr/bin/env bash
# Collects evidence for the Kubernetes networking model (issue 7): a netexec probe pod and a
# hostNetwork probe on every node, then pod-to-pod /clientip for every cross-node pair,
# hostNetwork-to-pod reachability, service DNS + TCP connect, and every NodePort on every node
# address. Prints ONE JSON document on stdout (everything else goes to stderr); judging it is the
# TypeScript evaluator's job (components/verify/evaluate.ts), so this exits 0 whenever it could
# observe, even when the network is broken. Nodes may lack jq: the JSON is written with printf.
# Runs wherever kubectl reaches the cluster: the first control plane or `npm run verify`.
# A kubectl exec costs a large fraction of a second, so requests are batched: ONE exec per probe
# pod sends all of that pod's requests, and the whole check costs at most 2 execs per node.
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
# Probe execs in flight at once.
MAX_PARALLEL="${MAX_PARALLEL:-8}"
PROBE_PORT=8080

log() { printf 'network-check: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

[[ "$TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || fail "TIMEOUT_SECONDS must be a positive integer, got '$TIMEOUT_SECONDS'"
[[ "$REQUEST_SECONDS" =~ ^[1-9][0-9]*$ ]] || fail "REQUEST_SECONDS must be a positive integer, got '$REQUEST_SECONDS'"
[[ "$MAX_PARALLEL" =~ ^[1-9][0-9]*$ ]] || fail "MAX_PARALLEL must be a positive integer, got '$MAX_PARALLEL'"
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

WORK="$(mktemp -d)"
cleanup() {
  local status=$?
  rm -rf "$WORK"
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
# json_quote VAR TEXT: VAR gets TEXT as a JSON string. No subshell: it runs for every node pair.
# (So VAR must not be named _s.)
json_quote() {
  local _s=$2
  if [[ "$_s" == *[[:cntrl:]\\\"]* ]]; then
    _s=${_s//\\/\\\\}
    _s=${_s//\"/\\\"}
    _s=${_s//$'\n'/\\n}
    _s=${_s//$'\r'/\\r}
    _s=${_s//$'\t'/\\t}
    _s=${_s//[[:cntrl:]]/}
  fi
  printf -v "$1" '"%s"' "$_s"
}
json_str() {
  local quoted
  json_quote quoted "$1"
  printf '%s' "$quoted"
}
json_bool() { if [ "$1" = 1 ]; then printf true; else printf false; fi; }
# The same without a subshell, for a flag that is 0 or 1: ${JSON_BOOL[$flag]}.
JSON_BOOL=(false true)
json_num() { if [[ "$1" =~ ^[0-9]+$ ]]; then printf '%d' "$((10#$1))"; else printf 0; fi; }
join_json() {
  local IFS=,
  printf '[%s]' "$*"
}
url_host() { if [[ "$1" == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }

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

# Whether NODE is one kubelab lists in NODE_ADDRESSES (every node counts when none are listed).
listed_node() {
  [ -z "$NODE_ADDRESSES" ] && return 0
  local entry
  for entry in $NODE_ADDRESSES; do [ "${entry%%=*}" = "$1" ] && return 0; done
  return 1
}

read_nodes() {
  local name cidr internal entry listing
  # `|`, not a tab: whitespace separators collapse, and an empty podCIDR would shift the fields.
  local jp='{range .items[*]}{.metadata.name}{"|"}{.spec.podCIDR}{"|"}'
  jp+='{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
  listing=$(kc get nodes -o jsonpath="$jp")
  while IFS='|' read -r name cidr internal; do
    [ -n "$name" ] || continue
    if ! listed_node "$name"; then
      # A node the stack no longer has is drained and deleted after this check, in the same run.
      log "node $name is not one of the stack's nodes (leaving the cluster?): not checked"
      continue
    fi
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
      POD_URL[$node]="http://$(url_host "$ip"):$PROBE_PORT"
      POD_READY[$node]=$([ "$ready" = True ] && echo 1 || echo 0)
    elif [ "$pod" = "host-$node" ]; then
      HOST_READY[$node]=$([ "$ready" = True ] && echo 1 || echo 0)
    fi
  done <<<"$listing"
}

cluster_ip() { kc get service "$2" -n "$1" -o jsonpath='{.spec.clusterIP}' 2>/dev/null || true; }

nodes_json() {
  local out=() n address cidr
  for n in "${ALL_NODES[@]}"; do
    json_quote address "${NODE_ADDR[$n]:-}"
    json_quote cidr "${NODE_CIDR[$n]:-}"
    out+=("{\"name\":${QNAME[$n]},\"address\":$address,\"podCIDR\":$cidr,\"registered\":${JSON_BOOL[${NODE_REGISTERED[$n]}]}}")
  done
  join_json "${out[@]}"
}

probes_json() {
  local out=() n ready pod
  for n in "${CLUSTER_NODES[@]}"; do
    json_quote pod "$1-$n"
    if [ "$1" = pod ]; then
      ready=${POD_READY[$n]:-0}
      out+=("{\"node\":${QNAME[$n]},\"pod\":$pod,\"ip\":${QIP[$n]},\"ready\":${JSON_BOOL[$ready]}}")
    else
      ready=${HOST_READY[$n]:-0}
      out+=("{\"node\":${QNAME[$n]},\"pod\":$pod,\"ready\":${JSON_BOOL[$ready]}}")
    fi
  done
  join_json "${out[@]}"
}

# The requests of one probe pod, sent in ONE exec: a POSIX sh loop (the image's busybox ash) given
# the seconds one request may take, then KIND ARG pairs. It prints INDEX|EXIT|ANSWER|LAST-ERROR-LINE
# for each pair, both texts as \xHH escapes: no answer can break the line format, and the exact
# bytes come back (the first 4 KiB). The loop goes on after a failed or timed-out request.
# agnhost lives at / in its image.
read -r -d '' BATCH_SCRIPT <<'SH' || true
t=$1
shift
e=$(mktemp) || exit 125
trap 'rm -f "$e"' EXIT
PATH=$PATH:/
hex() { [ -n "$1" ] || return 0; printf '%s' "$1" | od -A n -t x1 -v -N 4096 | tr -dc 0-9a-f | sed 's/../\\x&/g'; }
i=0
while [ "$#" -ge 2 ]; do
  i=$((i + 1)) rc=0
  case $1 in
    get) o=$(curl -sS --max-time "$t" "$2" 2>"$e") || rc=$? ;;
    status) o=$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$t" "$2" 2>"$e") || rc=$? ;;
    dig) o=$(dig +short +time=2 +tries=2 "$2" A "$2" AAAA 2>"$e") || rc=$? ;;
    connect) o=$(agnhost connect "--timeout=${t}s" "$2" 2>"$e") || rc=$? ;;
    *) o='' rc=127; echo "unknown request kind $1" >"$e" ;;
  esac
  printf '%s|%s|%s|%s\n' "$i" "$rc" "$(hex "$o")" "$(hex "$(tail -n 1 "$e")")"
  shift 2
done
SH

# REQS[pod]: the requests that pod sends, one "KEY KIND ARG" line each, in sending order; SOURCES
# lists those pods. After the execs, RES_RC/RES_OUT/RES_ERR[KEY] hold each request's outcome.
declare -A REQS=() RES_RC=() RES_OUT=() RES_ERR=() VANTAGE=() POD_URL=() QNAME=() QIP=()
SOURCES=()
SERVICE_CLIENT=""

request() {
  [ -n "${REQS[$1]+set}" ] || SOURCES+=("$1")
  REQS[$1]+="$2 $3 $4"$'\n'
}

# split_entry namespace/name:port -> E_NS, E_NAME, E_PORT
E_NS="" E_NAME="" E_PORT=""
split_entry() {
  E_NS=${1%%/*} E_NAME=${1#*/} E_PORT=${1##*:}
  E_NAME=${E_NAME%%:*}
}

# Every ordered pair of probe pods on different nodes (/clientip: the caller as the server saw it),
# and from every node's network namespace (hostNetwork probe) to every probe pod, own node included.
plan_pod_requests() {
  local from to
  for from in "${CLUSTER_NODES[@]}"; do
    [ -n "${POD_IP[$from]:-}" ] || continue
    for to in "${CLUSTER_NODES[@]}"; do
      if [ "$from" != "$to" ] && [ -n "${POD_IP[$to]:-}" ]; then
        request "pod-$from" "p2p/$from/$to" get "${POD_URL[$to]}/clientip"
      fi
    done
  done
  for from in "${CLUSTER_NODES[@]}"; do
    for to in "${CLUSTER_NODES[@]}"; do
      [ -z "${POD_IP[$to]:-}" ] || request "host-$from" "n2p/$from/$to" get "${POD_URL[$to]}/hostname"
    done
  done
}

# First node whose pod probe is Ready: the vantage point for service checks.
first_probe() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do
    if [ "${POD_READY[$n]:-0}" = 1 ]; then printf '%s' "pod-$n" && return; fi
  done
}

plan_service_requests() {
  local entry fqdn
  SERVICE_CLIENT=$(first_probe)
  [ -n "$SERVICE_CLIENT" ] || return 0
  for entry in $SERVICES; do
    split_entry "$entry"
    fqdn="$E_NAME.$E_NS.svc.$CLUSTER_DOMAIN"
    # dig never applies the search list (that takes +search), so the plain name is already absolute.
    request "$SERVICE_CLIENT" "dns/$entry" dig "$fqdn"
    # agnhost connect resolves the name before its --timeout dial starts, through the pod's
    # resolv.conf: with ndots:5 this name would first be tried under each search domain, every
    # try waiting out the resolver timeout when cluster DNS is down. The trailing dot makes it
    # absolute: one lookup. (The document's fqdn field stays without the dot.)
    request "$SERVICE_CLIENT" "tcp/$entry" connect "$fqdn.:$E_PORT"
  done
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

plan_nodeport_requests() {
  local entry node from
  local -A host=()
  for node in "${ALL_NODES[@]}"; do
    VANTAGE[$node]=$(vantage_for "$node")
    host[$node]=$(url_host "${NODE_ADDR[$node]:-}")
  done
  for entry in $NODEPORTS; do
    split_entry "$entry"
    for node in "${ALL_NODES[@]}"; do
      from=${VANTAGE[$node]}
      if [ -n "${NODE_ADDR[$node]:-}" ] && [ -n "$from" ]; then
        request "host-$from" "np/$entry/$node" status "http://${host[$node]}:$E_PORT/"
      fi
    done
  done
}

# run_batch POD: all of POD's requests in one exec, bounded by the requests' own bounds plus
# TIMEOUT_SECONDS. Answers go to a file line by line, so those before a cut-off survive it.
run_batch() {
  local pod=$1 key kind arg args=() budget=$TIMEOUT_SECONDS rc=0
  while read -r key kind arg; do
    [ -n "$key" ] || continue
    args+=("$kind" "$arg")
    # dig: two tries of 2 s for each of its two questions.
    if [ "$kind" = dig ]; then budget=$((budget + 8)); else budget=$((budget + REQUEST_SECONDS)); fi
  done <<<"${REQS[$pod]}"
  timeout "$budget" kubectl exec -n "$PROBE_NAMESPACE" "$pod" -- \
    sh -c "$BATCH_SCRIPT" sh "$REQUEST_SECONDS" "${args[@]}" >"$WORK/$pod.out" 2>"$WORK/$pod.err" || rc=$?
  printf '%s %s\n' "$rc" "$budget" >"$WORK/$pod.rc"
}

# At most MAX_PARALLEL execs at once. Each pod's answers land in its own files, read in a fixed
# order afterwards, so the document does not depend on which exec finished first.
run_batches() {
  local pod running=0
  for pod in "${SOURCES[@]}"; do
    if [ "$running" -ge "$MAX_PARALLEL" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    run_batch "$pod" &
    running=$((running + 1))
  done
  wait
}

# batch_failure POD: MISSING gets the error of a request that got no line of its own from POD's
# exec. No subshell: by now this shell holds every answer, which makes each fork slow.
MISSING=""
batch_failure() {
  local rc=1 budget=0 errs=()
  if [ -r "$WORK/$1.rc" ]; then read -r rc budget <"$WORK/$1.rc"; fi
  if [ -r "$WORK/$1.err" ]; then mapfile -t errs <"$WORK/$1.err"; fi
  MISSING=""
  if [ "${#errs[@]}" -gt 0 ]; then MISSING=${errs[-1]}; fi
  if [ "$rc" = 124 ]; then MISSING="no answer: the exec on $1 was cut off after ${budget}s"
  elif [ -n "$MISSING" ]; then :
  elif [ "$rc" != 0 ]; then MISSING="exit status $rc"
  else MISSING="no answer from $1"; fi
}

# unhex VAR ESCAPES: VAR gets the text the probe sent as \xHH escapes; "" for anything else.
unhex() {
  if [ -z "${2//\\x[0-9a-f][0-9a-f]/}" ]; then printf -v "$1" '%b' "$2"; else printf -v "$1" '%s' ""; fi
}

# Fills RES_RC/RES_OUT/RES_ERR for POD's requests from its exec's lines. Parameter expansion
# rather than `read`: this runs once per node pair.
load_results() {
  local pod=$1 line idx rc rest key n=0 text lines=() reqs=()
  local -A rcs=() outs=() errs=()
  if [ -r "$WORK/$pod.out" ]; then mapfile -t lines <"$WORK/$pod.out"; fi
  for line in "${lines[@]}"; do
    idx=${line%%|*} rest=${line#*|}
    rc=${rest%%|*} rest=${rest#*|}
    if [[ -n "$idx" && -n "$rc" && "$idx$rc" != *[!0-9]* && "$rest" == *"|"* ]]; then
      rcs[$idx]=$rc outs[$idx]=${rest%%|*} errs[$idx]=${rest#*|}
    fi
  done
  batch_failure "$pod"
  mapfile -t reqs <<<"${REQS[$pod]}"
  for line in "${reqs[@]}"; do
    key=${line%% *}
    [ -n "$key" ] || continue
    n=$((n + 1))
    if [ -z "${rcs[$n]:-}" ]; then
      RES_RC[$key]="" RES_OUT[$key]="" RES_ERR[$key]=$MISSING
      continue
    fi
    RES_RC[$key]=${rcs[$n]}
    unhex text "${outs[$n]}"
    RES_OUT[$key]=$text
    unhex text "${errs[$n]}"
    if [ "${rcs[$n]}" != 0 ] && [ -z "$text" ]; then text="exit status ${rcs[$n]}"; fi
    RES_ERR[$key]=$text
  done
}

# Node names and probe IPs as JSON strings, once: the pair lists repeat them n times each.
quote_names() {
  local n q
  for n in "${ALL_NODES[@]}"; do
    json_quote q "$n"
    QNAME[$n]=$q
    json_quote q "${POD_IP[$n]:-}"
    QIP[$n]=$q
  done
}

# ok KEY: whether that request was sent and succeeded.
ok() { [ "${RES_RC[$1]:-}" = 0 ]; }

pod_to_pod_json() {
  local out=() from to key seen err
  for from in "${CLUSTER_NODES[@]}"; do
    for to in "${CLUSTER_NODES[@]}"; do
      [ "$from" != "$to" ] || continue
      key="p2p/$from/$to" seen="" err=""
      if [ -z "${POD_IP[$from]:-}" ] || [ -z "${POD_IP[$to]:-}" ]; then err="probe pod has no IP"
      elif ok "$key"; then seen=${RES_OUT[$key]}
      else err=${RES_ERR[$key]:-}; fi
      json_quote seen "$seen"
      json_quote err "$err"
      out+=("{\"from\":${QNAME[$from]},\"to\":${QNAME[$to]},\"fromIp\":${QIP[$from]},\"toIp\":${QIP[$to]},\"clientIp\":$seen,\"error\":$err}")
    done
  done
  join_json "${out[@]}"
}

node_to_pod_json() {
  local out=() from to key answer err
  for from in "${CLUSTER_NODES[@]}"; do
    for to in "${CLUSTER_NODES[@]}"; do
      key="n2p/$from/$to" answer="" err=""
      if [ -z "${POD_IP[$to]:-}" ]; then err="probe pod has no IP"
      elif ok "$key"; then answer=${RES_OUT[$key]}
      else err=${RES_ERR[$key]:-}; fi
      json_quote answer "$answer"
      json_quote err "$err"
      out+=("{\"from\":${QNAME[$from]},\"to\":${QNAME[$to]},\"toIp\":${QIP[$to]},\"hostname\":$answer,\"error\":$err}")
    done
  done
  join_json "${out[@]}"
}

services_json() {
  local out=() entry client=$SERVICE_CLIENT fqdn resolved connected err ips
  for entry in $SERVICES; do
    split_entry "$entry"
    fqdn="$E_NAME.$E_NS.svc.$CLUSTER_DOMAIN" resolved=() connected=0 err=""
    if [ -z "$client" ]; then err="no probe pod is running"
    else
      if ok "dns/$entry"; then
        while read -r ips; do
          if [[ "$ips" =~ ^[0-9.]+$ || "$ips" =~ ^[0-9a-fA-F]*:[0-9a-fA-F:]+$ ]]; then resolved+=("$(json_str "$ips")"); fi
        done <<<"${RES_OUT[dns/$entry]}"
      else err=${RES_ERR[dns/$entry]:-}; fi
      if ok "tcp/$entry"; then connected=1
      elif [ -z "$err" ]; then err=${RES_ERR[tcp/$entry]:-}; fi
    fi
    out+=("{\"namespace\":$(json_str "$E_NS"),\"name\":$(json_str "$E_NAME"),\"port\":$(json_num "$E_PORT"),\"fqdn\":$(json_str "$fqdn"),\"clusterIp\":$(json_str "$(cluster_ip "$E_NS" "$E_NAME")"),\"resolved\":$(join_json "${resolved[@]}"),\"connected\":$(json_bool "$connected"),\"from\":$(json_str "$client"),\"error\":$(json_str "$err")}")
  done
  join_json "${out[@]}"
}

nodeport_answers_json() {
  local entry=$1 out=() node from key status err address
  for node in "${ALL_NODES[@]}"; do
    from=${VANTAGE[$node]:-} key="np/$entry/$node" status=0 err=""
    if [ -z "${NODE_ADDR[$node]:-}" ]; then err="node has no address"
    elif [ -z "$from" ]; then err="no hostNetwork probe is running"
    else
      status=${RES_OUT[$key]:-}
      ok "$key" || err=${RES_ERR[$key]:-}
    fi
    if [[ "$status" =~ ^[0-9]+$ ]]; then status=$((10#$status)); else status=0; fi
    json_quote address "${NODE_ADDR[$node]:-}"
    json_quote from "$from"
    json_quote err "$err"
    out+=("{\"node\":${QNAME[$node]},\"address\":$address,\"from\":$from,\"httpStatus\":$status,\"error\":$err}")
  done
  join_json "${out[@]}"
}

nodeports_json() {
  local out=() entry
  for entry in $NODEPORTS; do
    split_entry "$entry"
    out+=("{\"namespace\":$(json_str "$E_NS"),\"name\":$(json_str "$E_NAME"),\"nodePort\":$(json_num "$E_PORT"),\"clusterIp\":$(json_str "$(cluster_ip "$E_NS" "$E_NAME")"),\"answers\":$(nodeport_answers_json "$entry")}")
  done
  join_json "${out[@]}"
}

probe() {
  local pod
  plan_pod_requests
  plan_service_requests
  plan_nodeport_requests
  log "probing: one exec on each of ${#SOURCES[@]} probe pods, at most $MAX_PARALLEL at a time"
  run_batches
  for pod in "${SOURCES[@]}"; do load_results "$pod"; done
  quote_names
}

main() {
  log "removing probes left by an earlier run"
  kc delete namespace "$PROBE_NAMESPACE" --ignore-not-found --wait=true --timeout="${TIMEOUT_SECONDS}s" >&2
  read_nodes
  log "deploying probes on ${#CLUSTER_NODES[@]} nodes ($PROBE_IMAGE)"
  deploy_probes
  allow_probe_access
  read_probes
  probe
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
