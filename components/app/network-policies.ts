// NetworkPolicies of the voting app: deny all ingress, then open exactly the edges the tiers use.
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import { K8sObject } from "../../policy/types";
import { ResolvedAppArgs } from "./app-args";
import { Tier, TierKey, appLabels, tierByKey, tierLabels } from "./tiers";
import { asK8sObject } from "./workloads";

/**
 * Who may connect to each tier, on that tier's own port. Every edge is enforced at its destination,
 * so ingress rules alone pin the graph; egress stays open (no DNS exception needed).
 * `anywhere`: the NodePort frontends, reached from outside the cluster through any node.
 */
export const INGRESS_FROM: Record<TierKey, readonly TierKey[] | "anywhere"> = {
  vote: "anywhere",
  result: "anywhere",
  redis: ["vote", "worker"],
  db: ["worker", "result"],
  worker: [],
};

export const DEFAULT_DENY_NAME = "default-deny-ingress";

export function networkPolicyObjects(r: ResolvedAppArgs, tiers: Tier[]): K8sObject[] {
  const defaultDeny: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: DEFAULT_DENY_NAME, namespace: r.namespace, labels: appLabels(r, r.labels.partOf) },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
  const allows = tiers.flatMap((tier) => {
    const from = INGRESS_FROM[tier.key];
    if (!tier.port || from.length === 0) return [];
    return [allowIngress(r, tier, from === "anywhere" ? undefined : from.map((key) => tierByKey(tiers, key)))];
  });
  return [asK8sObject(defaultDeny), ...allows];
}

// kubelet probes come from the pod's own node, which Calico and Cilium always admit, so the
// data tiers need no rule for their TCP probes.
function allowIngress(r: ResolvedAppArgs, tier: Tier, sources: Tier[] | undefined): K8sObject {
  const ports = [{ protocol: "TCP" as const, port: tier.port?.name }];
  const rule: INetworkPolicyIngressRule = sources
    ? { from: sources.map((s) => ({ podSelector: { matchLabels: tierLabels(r, s) } })), ports }
    : { ports };
  const policy: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${tier.name}-ingress`, namespace: r.namespace, labels: tierLabels(r, tier) },
    spec: { podSelector: { matchLabels: tierLabels(r, tier) }, policyTypes: ["Ingress"], ingress: [rule] },
  };
  return asK8sObject(policy);
}
