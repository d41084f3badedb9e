// What makes a node ready for kubeadm: prepare.sh online (packages from their repositories), or,
// with an offline bundle, prepare.sh for the machine alone and then the bundle's install.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LoadedBundle } from "../../lib/offline-bundle";
import { nodeStep } from "../remote";
import { LabNode } from "../types";
import { bundleInstallStep } from "./offline-install";

/**
 * Machine containers on this kind of host: cgroup v1 only, and no CAP_SYS_RESOURCE, so nothing in
 * them may lower an oom_score_adj (containerd keeps containers at or above its own).
 */
const MACHINE_CONTAINER_ENV = { ALLOW_CGROUP_V1: "true", RESTRICT_OOM_SCORE_ADJ: "true" };

export interface PrepareNodeArgs {
  node: LabNode;
  /** As configured: a minor ("1.36") or an exact patch ("1.36.4"). */
  kubernetesVersion: string;
  kubernetesMinor: string;
  /** Install from this bundle instead of package repositories. */
  offline?: LoadedBundle;
  /** Machine containers on a cgroup v1 host (local nodes). */
  machineContainers: boolean;
}

export interface PreparedNode {
  /** prepare.sh; online its stdout ends with the installed kubeadm version. */
  prepare: command.remote.Command;
  /** What kubeadm init or join on this node waits for. */
  ready: pulumi.Resource;
}

/** Steps named `<prefix>-prepare` and, offline, `<prefix>-install-bundle`. */
export function prepareNode(prefix: string, args: PrepareNodeArgs, opts: pulumi.CustomResourceOptions): PreparedNode {
  const { node, kubernetesVersion, kubernetesMinor, offline } = args;
  const prepare = nodeStep(
    `${prefix}-prepare`,
    {
      node,
      script: "prepare",
      env: {
        NODE_NAME: node.name,
        NODE_IP: node.address,
        KUBERNETES_MINOR: kubernetesMinor,
        KUBERNETES_PACKAGE_VERSION: kubernetesVersion === kubernetesMinor ? "" : kubernetesVersion,
        // Only when set, so an online stack's steps keep the text they had.
        ...(offline ? { OFFLINE: "true" } : {}),
        ...(args.machineContainers ? MACHINE_CONTAINER_ENV : {}),
      },
    },
    opts,
  );
  if (!offline) return { prepare, ready: prepare };
  const install = bundleInstallStep(
    `${prefix}-install-bundle`,
    {
      target: { node: node.name, address: node.address, ssh: node.ssh },
      bundle: offline,
      env: args.machineContainers ? { RESTRICT_OOM_SCORE_ADJ: "true" } : {},
    },
    { ...opts, dependsOn: [prepare] },
  );
  return { prepare, ready: install };
}
