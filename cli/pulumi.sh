#!/usr/bin/env bash
# `npm run up` / `npm run destroy`: the Pulumi CLI on a local file backend inside the repo, so no
# Pulumi Cloud account is needed. Selects (or creates) the stack, `lab` unless STACK is set.
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:?usage: pulumi.sh up|destroy|preview [pulumi args...]}"
shift
stack="${STACK:-lab}"

# Dependencies first: the program, the policy pack and the toolchain build all need them.
[ -d node_modules ] || npm ci
# shellcheck source=cli/pulumi-env.sh
source cli/pulumi-env.sh
use_pulumi "$action" || exit 127

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://${PWD}/.pulumi-state"
# The local backend encrypts secrets (the SSH key, the kubeconfig) with a passphrase: Pulumi asks
# for it unless PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set.

pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"
case "$action" in
  up) exec pulumi up --stack "$stack" "$@" ;;
  # Machines that are already gone must not block destroy: their Kubernetes objects leave with them.
  destroy) PULUMI_K8S_DELETE_UNREACHABLE=true exec pulumi destroy --stack "$stack" "$@" ;;
  preview) exec pulumi preview --stack "$stack" "$@" ;;
  *) echo "unknown action: $action (up, destroy or preview)" >&2; exit 2 ;;
esac
