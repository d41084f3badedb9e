#!/usr/bin/env bash
# Runs on a control plane after the pod network addon is applied: waits, within one overall
# deadline, until every expected node is registered and Ready and the addon's node agents are
# Ready. Nodes stay NotReady until the CNI works on them, so this is the point after which pods
# can be scheduled. On failure it names the nodes that are not Ready.
set -euo pipefail
: "${EXPECTED_NODES:?}"
: "${ADDON_NAMESPACE:?}"
: "${ADDON_SELECTOR:?}"
: "${TIMEOUT_SECONDS:=600}"
: "${POLL_SECONDS:=5}"
export KUBECONFIG=/etc/kubernetes/admin.conf

read -r -a nodes <<<"$EXPECTED_NODES"
deadline=$((SECONDS + TIMEOUT_SECONDS))

remaining() {
  local left=$((deadline - SECONDS))
  echo $((left > 0 ? left : 0))
}

# One kubectl call may not outlive the deadline (plus a little to report its own timeout).
kube() {
  timeout "$(($(remaining) + 10))" kubectl "$@"
}

# "<name> <Ready status>" for every registered node.
node_statuses() {
  kube get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null || true
}

report_not_ready() {
  local statuses name status not_ready=()
  statuses="$(node_statuses)"
  for name in "${nodes[@]}"; do
    status="$(awk -v n="$name" '$1 == n { print $2 }' <<<"$statuses")"
    if [ -z "$status" ]; then
      not_ready+=("$name (not registered)")
    elif [ "$status" != "True" ]; then
      not_ready+=("$name (Ready=$status)")
    fi
  done
  if [ "${#not_ready[@]}" -gt 0 ]; then
    local IFS=","
    echo "nodes not Ready: ${not_ready[*]}" >&2
  fi
}

fail() {
  echo "$1" >&2
  report_not_ready
  exit 1
}

all_registered() {
  local name
  for name in "${nodes[@]}"; do
    kube get node "$name" -o name >/dev/null 2>&1 || return 1
  done
}

# Workers may still be joining: `kubectl wait node/x` fails at once on a node that does not exist yet.
until all_registered; do
  [ "$(remaining)" -gt 0 ] || fail "not every node registered within ${TIMEOUT_SECONDS}s"
  sleep "$POLL_SECONDS"
done

node_refs=("${nodes[@]/#/node/}")
if ! kube wait --for=condition=Ready "${node_refs[@]}" --timeout="$(remaining)s" >/dev/null; then
  fail "not every node became Ready within ${TIMEOUT_SECONDS}s; the ${ADDON_SELECTOR} pods in ${ADDON_NAMESPACE} say why"
fi

# The agent pods may not exist yet (Calico's operator creates them after the chart is applied),
# and `kubectl wait -l` with no match fails at once.
until [ -n "$(kube -n "$ADDON_NAMESPACE" get pods -l "$ADDON_SELECTOR" -o name 2>/dev/null)" ]; do
  [ "$(remaining)" -gt 0 ] || fail "no pods match ${ADDON_SELECTOR} in ${ADDON_NAMESPACE} within ${TIMEOUT_SECONDS}s"
  sleep "$POLL_SECONDS"
done

if ! kube -n "$ADDON_NAMESPACE" wait --for=condition=Ready pod -l "$ADDON_SELECTOR" --timeout="$(remaining)s" >/dev/null; then
  kube -n "$ADDON_NAMESPACE" get pods -l "$ADDON_SELECTOR" -o wide >&2 || true
  fail "the ${ADDON_SELECTOR} pods in ${ADDON_NAMESPACE} did not become Ready within ${TIMEOUT_SECONDS}s"
fi

echo "all ${#nodes[@]} nodes Ready; ${ADDON_SELECTOR} pods Ready in ${ADDON_NAMESPACE}"
