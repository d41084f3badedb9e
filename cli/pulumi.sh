#!/usr/bin/env bash
# `npm run up` / `npm run destroy`: the Pulumi CLI on a local file backend inside the repo, so no
# Pulumi Cloud account is needed. Selects (or creates) the stack: STACK, else `lab` (Multipass VMs)
# where Multipass is installed or the host is not Linux, else `local` (machine containers on this
# host from the offline bundle, which needs no hypervisor and no internet).
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:?usage: pulumi.sh up|destroy|preview [pulumi args...]}"
shift

default_stack() {
  if command -v multipass >/dev/null 2>&1 || [ "$(uname -s)" != Linux ]; then echo lab; else echo local; fi
}
stack="${STACK:-$(default_stack)}"
tsx=node_modules/.bin/tsx

# Dependencies first: the program, the policy pack and the toolchain build all need them.
[ -d node_modules ] || npm ci
# shellcheck source=cli/pulumi-env.sh
source cli/pulumi-env.sh

# The local stack brings everything it needs: the Pulumi CLI and plugins built from Go modules,
# and its offline bundle, each built once (then cached) before Pulumi runs.
if ! use_pulumi "$action" 2>/dev/null && [ "$stack" = local ] && [ "$action" = up ]; then
  echo "kubelab: no Pulumi CLI found; building it from Go modules first (about 25 minutes cold on 2 cores)" >&2
  bash scripts/toolchain/toolchain.sh
fi
use_pulumi "$action" || exit 127
if [ "$action" = up ]; then
  read -r bundle version <<<"$("$tsx" cli/stack-bundle.ts "$stack")" || true
  if [ -n "${bundle:-}" ] && [ ! -f "$bundle/manifest.json" ]; then
    echo "kubelab: stack $stack installs from the offline bundle $bundle, which is not built yet;" \
      "building it first (about an hour cold on 2 cores, seconds once cached)" >&2
    npm run --silent bundle -- --kubernetes "$version" --out "$bundle"
  fi
fi

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://${PWD}/.pulumi-state"
# The local backend encrypts secrets (the SSH key, the kubeconfig) with a passphrase: Pulumi asks
# for it unless PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set.

pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"
case "$action" in
  up)
    pulumi up --stack "$stack" "$@"
    "$tsx" cli/summary.ts "$stack"
    ;;
  # Machines that are already gone must not block destroy: their Kubernetes objects leave with them.
  destroy) PULUMI_K8S_DELETE_UNREACHABLE=true exec pulumi destroy --stack "$stack" "$@" ;;
  preview) exec pulumi preview --stack "$stack" "$@" ;;
  *) echo "unknown action: $action (up, destroy or preview)" >&2; exit 2 ;;
esac
