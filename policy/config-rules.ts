// The policy rules that apply to the stack config itself, before any object exists: the app's node
// ports against the node port range, the network plan (CIDR overlap and capacity), and NetworkPolicy
// support of the chosen CNI. Problems name the config key; config.ts runs these beside lib's checks.
import { isCidr } from "../lib/cidr";
import { ConfigCheck, ConfigProblem, problem, roleCounts } from "../lib/config-checks";
import { RawLabConfig } from "../lib/config-schema";
import { nodePortFindings, parseNodePortRange } from "./nodeports";
import { checkPlan } from "./plan-rules";
import { cniEnforcesNetworkPolicy } from "./types";

export function checkNodePorts(raw: RawLabConfig): ConfigProblem[] {
  const range = parseNodePortRange(raw.network.nodePortRange);
  if (!range) {
    return [
      problem(
        "network.nodePortRange",
        raw.network.nodePortRange,
        "not a port range; write LOW-HIGH with 1 <= LOW < HIGH <= 65535, e.g. 30000-32767",
        "nodeport-range",
      ),
    ];
  }
  if (!raw.app.enabled) return [];
  const claims = [
    { owner: "app.voteNodePort", port: raw.app.voteNodePort },
    { owner: "app.resultNodePort", port: raw.app.resultNodePort },
  ];
  return nodePortFindings(claims, range).map((f) => problem(f.owner, f.port, f.message, f.rule));
}

const PLAN_KEYS: Record<string, string> = {
  "NetworkPlan/kubelab/podCidr": "network.podCidr",
  "NetworkPlan/kubelab/nodeCidr": "network.nodeCidr",
  "NetworkPlan/kubelab/serviceCidr": "network.serviceCidr",
};

export function checkNetworkPlan(raw: RawLabConfig): ConfigProblem[] {
  const { nodeCidr, podCidr, serviceCidr } = raw.network;
  if (![nodeCidr, podCidr, serviceCidr].every(isCidr)) return [];
  const { controlPlanes, workers } = roleCounts(raw);
  const violations = checkPlan({ nodeCidr, podCidr, serviceCidr, nodeCount: controlPlanes + workers });
  return violations.map((v) => {
    const path = PLAN_KEYS[v.resource] ?? "network";
    const value = path.startsWith("network.") ? raw.network[path.slice(8) as "podCidr"] : raw.network;
    return problem(path, value, v.message, v.rule);
  });
}

export function checkNetworkPolicySupport(raw: RawLabConfig): ConfigProblem[] {
  if (!raw.app.enabled || !raw.app.networkPolicies || cniEnforcesNetworkPolicy(raw.network.cni)) return [];
  return [
    problem(
      "app.networkPolicies",
      true,
      `cni ${raw.network.cni} does not enforce NetworkPolicy, so the app's policies would silently allow everything; ` +
        `use cni calico or cilium, or set kubelab:app.networkPolicies to false`,
      "networkpolicy-unenforced",
    ),
  ];
}

/** The config checks that are policy rules, in the shape of lib's `configChecks`. */
export const policyConfigChecks: ConfigCheck[] = [
  { check: checkNodePorts, reads: ["network", "app"] },
  { check: checkNetworkPlan, reads: ["nodes", "network"] },
  { check: checkNetworkPolicySupport, reads: ["app", "network"] },
];
