#!/usr/bin/env bash
# Runs on the first control plane: waits (bounded) until an operator has registered a
# CustomResourceDefinition and the API server serves it, so a custom resource of that kind can be
# created. Calico's tigera-operator registers its CRDs itself once its pod runs (its chart ships
# none since v3.32), which takes an image pull.
set -euo pipefail
: "${CRD_NAME:?CRD_NAME is required, e.g. installations.operator.tigera.io}"
: "${TIMEOUT_SECONDS:=300}"
export KUBECONFIG="${KUBELAB_ROOT:-}/etc/kubernetes/admin.conf"

deadline=$((SECONDS + TIMEOUT_SECONDS))
until kubectl --request-timeout=10s get crd "$CRD_NAME" >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    echo "CRD $CRD_NAME was not registered within ${TIMEOUT_SECONDS}s; check the operator's pod (kubectl get pods -A)" >&2
    exit 1
  fi
  sleep 5
done
remaining=$((deadline - SECONDS))
kubectl wait --for=condition=Established "crd/$CRD_NAME" --timeout="$((remaining > 10 ? remaining : 10))s" >&2
echo "CRD $CRD_NAME established"
