#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# network-check.sh against a stub kubectl that plays a three-node cluster (cp-1, worker-1,
# worker-2). `kubectl exec POD -- sh -c SCRIPT ...` runs the batch SCRIPT with the local sh, with
# stub curl, dig and agnhost first on PATH: they answer from a table as seen from POD, and never
# send traffic anywhere. Knobs:
#   STUB_NAT=1             /clientip answers with the caller's node address (SNAT on the path)
#   STUB_SILENT=ADDRESS    curl to ADDRESS waits out its --max-time, then fails as curl does
#   STUB_HANG=ADDRESS      curl to ADDRESS never returns (ignores --max-time)
#   STUB_FAIL=VERB         `kubectl VERB ...` fails (e.g. apply, "get nodes")
#   STUB_CLIENTIP=TEXT     /clientip answers with TEXT
# Every kubectl call is appended to $STATE/calls, one line each.

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../scripts/node/network-check.sh"
  STATE="$(mktemp -d)"
  BIN="$STATE/bin"
  mkdir -p "$BIN" "$STATE/pod-bin"
  export STATE
  cat >"$STATE/tables.sh" <<'TABLES'
declare -A IP=([pod-cp-1]=10.244.0.5 [pod-worker-1]=10.244.1.7 [pod-worker-2]=10.244.2.9)
declare -A NODE=([pod-cp-1]=192.168.56.10 [pod-worker-1]=192.168.56.11 [pod-worker-2]=192.168.56.12)
declare -A SVC=([kubernetes]=10.96.0.1 [redis]=10.96.10.10 [vote]=10.96.20.20)
TABLES
  cat >"$BIN/kubectl" <<'STUB'
#!/usr/bin/env bash
# A background sleep left by STUB_HANG must not hold bats' output open.
exec 3>&-
echo "${*//$'\n'/ }" >>"$STATE/calls"
case "$*" in "${STUB_FAIL:-none}"*) echo "stub: $* refused" >&2; exit 1 ;; esac
source "$STATE/tables.sh"
case "$1 $2" in
  "delete namespace") exit 0 ;;
  "delete networkpolicy") exit 0 ;;
  "apply -f") cat >>"$STATE/applied.yaml" ;;
  "wait pod") exit 0 ;;
  "get nodes")
    printf '%s\n' 'cp-1|10.244.0.0/24|192.168.56.10' 'worker-1|10.244.1.0/24|192.168.56.11' \
      'worker-2|10.244.2.0/24|192.168.56.12 fd00::12' ;;
  "get pods")
    for n in cp-1 worker-1 worker-2; do
      printf 'pod-%s|%s|%s|True\nhost-%s|%s|%s|True\n' "$n" "$n" "${IP[pod-$n]}" "$n" "$n" "${NODE[pod-$n]}"
    done ;;
  "get service") [ -n "${SVC[$3]:-}" ] || { echo "services \"$3\" not found" >&2; exit 1; }; printf '%s' "${SVC[$3]}" ;;
  "exec -n")
    pod=$4
    shift 5
    [ "$1 $2" = "sh -c" ] || { echo "unexpected exec $*" >&2; exit 2; }
    STUB_POD=$pod PATH="$STATE/pod-bin:$PATH" exec "$@" ;;
  *) echo "unexpected kubectl $*" >&2; exit 2 ;;
esac
STUB
  cat >"$STATE/pod-bin/curl" <<'STUB'
#!/usr/bin/env bash
source "$STATE/tables.sh"
pod=$STUB_POD url="${*: -1}" format="" max=""
while [ "$#" -gt 1 ]; do
  case $1 in -w) format=$2; shift ;; --max-time) max=$2; shift ;; esac
  shift
done
[ -n "$max" ] || { echo "stub curl: no --max-time" >&2; exit 2; }
if [[ "$url" == *"//${STUB_HANG:-none}:"* ]]; then sleep 20; exit 0; fi
if [[ "$url" == *"//${STUB_SILENT:-none}:"* ]]; then
  sleep "$max"
  [ -z "$format" ] || printf '000'
  echo "curl: (28) Connection timed out after ${max}001 milliseconds" >&2
  exit 28
fi
case $url in
  */clientip)
    if [ -n "${STUB_CLIENTIP:-}" ]; then printf '%s' "$STUB_CLIENTIP"
    elif [ -n "${STUB_NAT:-}" ]; then printf '%s:41234' "${NODE[$pod]}"
    else printf '%s:41234' "${IP[$pod]}"; fi ;;
  */hostname)
    for p in "${!IP[@]}"; do if [[ "$url" == *"//${IP[$p]}:"* ]]; then printf '%s' "$p"; fi; done ;;
  http://*/)
    [ "$format" = '%{http_code}' ] || { echo "stub curl: NodePort without -w" >&2; exit 2; }
    printf '200' ;;
  *) echo "stub curl: unexpected $url" >&2; exit 2 ;;
esac
STUB
  cat >"$STATE/pod-bin/dig" <<'STUB'
#!/usr/bin/env bash
source "$STATE/tables.sh"
name=${4%%.*}
[ -z "${SVC[$name]:-}" ] || printf '%s\n' "${SVC[$name]}"
STUB
  cat >"$STATE/pod-bin/agnhost" <<'STUB'
#!/usr/bin/env bash
source "$STATE/tables.sh"
[ "$1" = connect ] || { echo "stub agnhost: unexpected $*" >&2; exit 2; }
target=${*: -1}
name=${target%%.*}
[ -n "${SVC[$name]:-}" ] || { echo "DNS: lookup ${target%%:*} on 10.96.0.10:53: no such host" >&2; exit 1; }
STUB
  chmod +x "$BIN/kubectl" "$STATE/pod-bin/"*
  export PATH="$BIN:$PATH"
  export KUBECONFIG="$STATE/admin.conf" TIMEOUT_SECONDS=5 REQUEST_SECONDS=1
  export SERVICES="vote/redis:6379 vote/db:5432" NODEPORTS="vote/vote:30004"
  export NODE_ADDRESSES="cp-1=192.168.56.10 worker-1=192.168.56.11 worker-2=192.168.56.12"
}

teardown() {
  rm -rf "$STATE"
}

# Runs the script, keeping stdout apart from the log on stderr.
collect() {
  run --separate-stderr bash "$SCRIPT"
}

# Evaluates a JavaScript expression over the observation document (`o`); prints the result.
query() {
  printf '%s' "$output" | node -e '
    const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const v = eval(process.argv[1]);
    console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1"
}

@test "prints one valid JSON document with nodes, probes and the kubernetes Service IP" {
  collect
  [ "$status" -eq 0 ]
  [ "$(query 'o.nodes.map(n => n.name + "=" + n.address + "@" + n.podCIDR).join(" ")')" = \
    "cp-1=192.168.56.10@10.244.0.0/24 worker-1=192.168.56.11@10.244.1.0/24 worker-2=192.168.56.12@10.244.2.0/24" ]
  [ "$(query 'o.probes.map(p => p.pod + "=" + p.ip + ":" + p.ready).join(" ")')" = \
    "pod-cp-1=10.244.0.5:true pod-worker-1=10.244.1.7:true pod-worker-2=10.244.2.9:true" ]
  [ "$(query 'o.kubernetesServiceIp')" = "10.96.0.1" ]
  [ "$(query 'o.hostProbes.length')" = 3 ]
}

@test "observes /clientip for every ordered pair of probe pods on different nodes" {
  collect
  [ "$status" -eq 0 ]
  [ "$(query 'o.podToPod.length')" = 6 ]
  [ "$(query 'o.podToPod.map(p => p.from + ">" + p.to).join(" ")')" = \
    "cp-1>worker-1 cp-1>worker-2 worker-1>cp-1 worker-1>worker-2 worker-2>cp-1 worker-2>worker-1" ]
  [ "$(query 'o.podToPod.find(p => p.from === "worker-1" && p.to === "cp-1").clientIp')" = "10.244.1.7:41234" ]
  [ "$(query 'o.podToPod.every(p => p.error === "")')" = true ]
}

@test "records the address a NATed path shows instead of the pod IP" {
  STUB_NAT=1 collect
  [ "$status" -eq 0 ]
  [ "$(query 'o.podToPod.find(p => p.from === "cp-1" && p.to === "worker-2").clientIp')" = "192.168.56.10:41234" ]
}

@test "reaches every probe pod from every hostNetwork probe, own node included" {
  collect
  [ "$(query 'o.nodeToPod.length')" = 9 ]
  [ "$(query 'o.nodeToPod.find(p => p.from === "worker-2" && p.to === "worker-2").hostname')" = "pod-worker-2" ]
}

@test "resolves and connects to each app Service and records a name that does not resolve" {
  collect
  [ "$(query 'o.services.map(s => s.fqdn).join(" ")')" = "redis.vote.svc.cluster.local db.vote.svc.cluster.local" ]
  [ "$(query 'o.services[0].resolved.join(",") + " " + o.services[0].connected + " " + o.services[0].clusterIp')" = \
    "10.96.10.10 true 10.96.10.10" ]
  [ "$(query 'o.services[1].resolved.length + " " + o.services[1].connected')" = "0 false" ]
  [[ "$(query 'o.services[1].error')" == *"lookup db.vote.svc.cluster.local. on 10.96.0.10:53: no such host"* ]]
}

@test "connects to each Service by its absolute name; the document names it without the dot" {
  collect
  [ "$status" -eq 0 ]
  # A relative name would go through the pod's search list (ndots:5) before the dial's own timeout.
  grep -q ' connect redis\.vote\.svc\.cluster\.local\.:6379 ' "$STATE/calls"
  grep -q ' connect db\.vote\.svc\.cluster\.local\.:5432$' "$STATE/calls"
  grep -q ' dig redis\.vote\.svc\.cluster\.local connect ' "$STATE/calls"
  [ "$(query 'o.services.map(s => s.fqdn + ":" + s.port).join(" ")')" = \
    "redis.vote.svc.cluster.local:6379 db.vote.svc.cluster.local:5432" ]
}

@test "asks every node address for each NodePort, from another node's hostNetwork probe" {
  STUB_SILENT=192.168.56.12 collect
  [ "$status" -eq 0 ]
  [ "$(query 'o.nodePorts[0].answers.map(a => a.node + ":" + a.httpStatus + "<" + a.from).join(" ")')" = \
    "cp-1:200<worker-1 worker-1:200<cp-1 worker-2:0<cp-1" ]
  [[ "$(query 'o.nodePorts[0].answers[2].error')" == *"timed out"* ]]
  grep -q '^exec -n kubelab-netcheck host-cp-1 -- sh -c .* status http://192.168.56.12:30004/' "$STATE/calls"
}

@test "sends every request of a probe pod in one exec: 2 execs per node, not one per pair" {
  collect
  [ "$status" -eq 0 ]
  # 3 netexec pods (pod-to-pod, Services) + 3 hostNetwork probes (node-to-pod, NodePorts);
  # one exec per request would be 6 + 9 + 3 + 2 * 2 = 22.
  [ "$(grep -c '^exec ' "$STATE/calls")" -eq 6 ]
  [ "$(grep '^exec ' "$STATE/calls" | cut -d' ' -f4 | sort -u | tr '\n' ' ')" = \
    "host-cp-1 host-worker-1 host-worker-2 pod-cp-1 pod-worker-1 pod-worker-2 " ]
  grep -q '^exec -n kubelab-netcheck pod-cp-1 -- sh -c .* dig redis.vote.svc.cluster.local connect redis.vote.svc.cluster.local.:6379 ' "$STATE/calls"
  [ "$(query 'o.podToPod.length + o.nodeToPod.length + o.services.length + o.nodePorts[0].answers.length')" = 20 ]
}

@test "a request that times out inside a batch is that target's error; the rest of the batch answers" {
  STUB_SILENT=10.244.1.7 collect
  [ "$status" -eq 0 ]
  [ "$(grep -c '^exec ' "$STATE/calls")" -eq 6 ]
  # pod-cp-1 asks worker-1 (silent) first, then worker-2 in the same exec.
  [[ "$(query 'o.podToPod.find(p => p.from === "cp-1" && p.to === "worker-1").error')" == "curl: (28) Connection timed out"* ]]
  [ "$(query 'o.podToPod.find(p => p.from === "cp-1" && p.to === "worker-1").clientIp')" = "" ]
  [ "$(query 'o.podToPod.find(p => p.from === "cp-1" && p.to === "worker-2").clientIp')" = "10.244.0.5:41234" ]
  [ "$(query 'o.podToPod.filter(p => p.error).map(p => p.from + ">" + p.to).join(" ")')" = "cp-1>worker-1 worker-2>worker-1" ]
  [ "$(query 'o.nodeToPod.filter(p => p.error).map(p => p.from + ">" + p.to).join(" ")')" = \
    "cp-1>worker-1 worker-1>worker-1 worker-2>worker-1" ]
  [ "$(query 'o.nodeToPod.find(p => p.from === "cp-1" && p.to === "worker-2").hostname')" = "pod-worker-2" ]
  [ "$(query 'o.services.map(s => s.connected).join(" ") + " " + o.nodePorts[0].answers.map(a => a.httpStatus).join(" ")')" = \
    "true false 200 200 200" ]
}

@test "an exec that outlives its bound is cut off; answers it sent before that are kept" {
  STUB_HANG=10.244.1.7 TIMEOUT_SECONDS=1 SERVICES="" NODEPORTS="" collect
  [ "$status" -eq 0 ]
  # pod-worker-2 asks cp-1, then worker-1 (hangs): bound 1 s + 2 requests * 1 s.
  [ "$(query 'o.podToPod.find(p => p.from === "worker-2" && p.to === "cp-1").clientIp')" = "10.244.2.9:41234" ]
  [ "$(query 'o.podToPod.find(p => p.from === "worker-2" && p.to === "worker-1").error')" = \
    "no answer: the exec on pod-worker-2 was cut off after 3s" ]
  # host-cp-1 asks cp-1, worker-1 (hangs), worker-2: the request after the hang is lost too.
  [ "$(query 'o.nodeToPod.filter(p => p.from === "cp-1").map(p => p.hostname || p.error).join(", ")')" = \
    "pod-cp-1, no answer: the exec on host-cp-1 was cut off after 4s, no answer: the exec on host-cp-1 was cut off after 4s" ]
  [ "$(query 'o.podToPod.find(p => p.from === "worker-1" && p.to === "worker-2").clientIp')" = "10.244.1.7:41234" ]
}

@test "an exec that fails outright is the error of each of its requests; other probes still answer" {
  STUB_FAIL="exec -n kubelab-netcheck pod-worker-1" collect
  [ "$status" -eq 0 ]
  [ "$(query 'o.podToPod.filter(p => p.from === "worker-1").every(p => p.clientIp === "" && p.error.endsWith("refused"))')" = true ]
  [ "$(query 'o.podToPod.filter(p => p.from !== "worker-1").every(p => p.clientIp !== "" && p.error === "")')" = true ]
  [ "$(query 'o.nodeToPod.every(p => p.error === "")')" = true ]
}

@test "runs the execs a few at a time and prints the same document in the same order" {
  collect
  local all=$output
  MAX_PARALLEL=1 collect
  [ "$status" -eq 0 ]
  [ "$output" = "$all" ]
  MAX_PARALLEL=4 collect
  [ "$output" = "$all" ]
  [ "$(grep -c '^exec ' "$STATE/calls")" -eq 18 ]
}

@test "rejects a MAX_PARALLEL that is not a positive integer" {
  MAX_PARALLEL=0 collect
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"MAX_PARALLEL must be a positive integer"* ]]
  [ ! -e "$STATE/calls" ]
}

@test "deploys a pinned netexec pod and a hostNetwork probe per node in a privileged namespace" {
  collect
  grep -q 'pod-security.kubernetes.io/enforce: privileged' "$STATE/applied.yaml"
  [ "$(grep -c 'nodeName:' "$STATE/applied.yaml")" -eq 6 ]
  [ "$(grep -c 'hostNetwork: true' "$STATE/applied.yaml")" -eq 3 ]
  grep -q 'image: "registry.k8s.io/e2e-test-images/agnhost:2\.[0-9.]*"' "$STATE/applied.yaml"
  grep -q 'tolerations: \[{operator: Exists}\]' "$STATE/applied.yaml"
  grep -q 'args: \[netexec, --http-port=8080, --udp-port=-1\]' "$STATE/applied.yaml"
  grep -q -- '--timeout=5s' <(grep '^wait pod' "$STATE/calls")
  node -e 'const docs = require(process.argv[1]).parseAllDocuments(require("fs").readFileSync(process.argv[2], "utf8"));
    if (docs.length !== 8 || docs.some((d) => d.errors.length)) process.exit(1);' \
    "$BATS_TEST_DIRNAME/../../node_modules/yaml" "$STATE/applied.yaml"
}

@test "admits only the probe pods into each app namespace, once per namespace, and removes that at exit" {
  collect
  [ "$status" -eq 0 ]
  [ "$(grep -c '^kind: NetworkPolicy' "$STATE/applied.yaml")" -eq 1 ]
  grep -q '^  namespace: vote$' <(sed -n '/^kind: NetworkPolicy/,$p' "$STATE/applied.yaml")
  grep -q 'namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kubelab-netcheck}}' "$STATE/applied.yaml"
  grep -q 'podSelector: {matchLabels: {kubelab.dev/probe: pod}}' "$STATE/applied.yaml"
  grep -q '^delete networkpolicy --all-namespaces -l kubelab.dev/netcheck-access=probes --ignore-not-found$' "$STATE/calls"
}

@test "adds no access policy when there are no app Services" {
  SERVICES="" collect
  [ "$status" -eq 0 ]
  ! grep -q '^kind: NetworkPolicy' "$STATE/applied.yaml"
}

@test "deletes the probe namespace at exit, once" {
  collect
  [ "$(tail -n 1 "$STATE/calls")" = "delete namespace kubelab-netcheck --ignore-not-found --wait=false" ]
  # The background execs must not run the exit cleanup themselves.
  [ "$(grep -c -- '--wait=false' "$STATE/calls")" -eq 1 ]
}

@test "deletes the probe namespace even when deploying the probes fails" {
  STUB_FAIL="apply" collect
  [ "$status" -ne 0 ]
  [ -z "$output" ]
  [ "$(tail -n 1 "$STATE/calls")" = "delete namespace kubelab-netcheck --ignore-not-found --wait=false" ]
}

@test "fails without output when the cluster cannot be listed, and still cleans up" {
  STUB_FAIL="get nodes" collect
  [ "$status" -ne 0 ]
  [ -z "$output" ]
  [[ "$stderr" == *"refused"* ]]
  grep -q '^delete namespace kubelab-netcheck --ignore-not-found --wait=false$' "$STATE/calls"
}

@test "KEEP_PROBES=1 leaves the probes in place" {
  KEEP_PROBES=1 collect
  [ "$status" -eq 0 ]
  ! grep -q -- '--wait=false' "$STATE/calls"
}

@test "rejects a malformed SERVICES entry before touching the cluster" {
  SERVICES="redis" collect
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"expected namespace/name:port"* ]]
  [ ! -e "$STATE/calls" ]
}

@test "escapes quotes, backslashes and control characters in observed text" {
  STUB_CLIENTIP=$'we"ird\\\tpath\x01' collect
  [ "$status" -eq 0 ]
  [ "$(query 'JSON.stringify(o.podToPod[0].clientIp)')" = '"we\"ird\\\tpath"' ]
}

@test "cleanup script deletes the probe namespace with a bounded wait" {
  touch "$KUBECONFIG"
  TIMEOUT_SECONDS="" run bash "$BATS_TEST_DIRNAME/../../scripts/node/network-check-cleanup.sh"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p "$STATE/calls")" = "delete networkpolicy --all-namespaces -l kubelab.dev/netcheck-access=probes --ignore-not-found" ]
  [ "$(sed -n 2p "$STATE/calls")" = "delete namespace kubelab-netcheck --ignore-not-found --wait=true --timeout=60s" ]
}

@test "cleanup script does nothing when the kubeconfig is already gone" {
  run bash "$BATS_TEST_DIRNAME/../../scripts/node/network-check-cleanup.sh"
  [ "$status" -eq 0 ]
  [ ! -e "$STATE/calls" ]
}

@test "a node the stack no longer lists (drained after the check, in the same run) is neither probed nor asked" {
  export NODE_ADDRESSES="cp-1=192.168.56.10 worker-1=192.168.56.11"
  collect
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"node worker-2 is not one of the stack's nodes (leaving the cluster?): not checked"* ]] || fail "$stderr"
  [ "$(query 'o.nodes.map(n => n.name).join(" ")')" = "cp-1 worker-1" ]
  [ "$(query 'o.probes.map(p => p.pod).join(" ")')" = "pod-cp-1 pod-worker-1" ]
  ! grep -q "name: pod-worker-2" "$STATE/applied.yaml" || fail "a probe was deployed on worker-2"
  ! grep -q "192.168.56.12" "$STATE/calls" || fail "worker-2's address was asked: $(grep 192.168.56.12 "$STATE/calls")"
}
