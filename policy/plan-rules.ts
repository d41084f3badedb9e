// Rules over the network plan alone: the CIDR mistakes that break a cluster before any pod runs.
import { cidrsOverlap, hostBits, nodeMaskSize, parseCidr, subnetCount } from "../lib/cidr";
import { NetworkPlan, Violation, planResource } from "./types";
import { vipOutsideNodeCidr, vipOverlap } from "./rules/vip";

type CidrField = "nodeCidr" | "podCidr" | "serviceCidr";
const CIDR_FIELDS: CidrField[] = ["nodeCidr", "podCidr", "serviceCidr"];

/** `cidr-overlap`: node, pod and service ranges (and the CNI pool) must be pairwise disjoint. */
export function cidrOverlap(plan: NetworkPlan): Violation[] {
  const ranges: { field: string; cidr: string }[] = CIDR_FIELDS.filter((f) => plan[f]).map((f) => ({
    field: f,
    cidr: plan[f] as string,
  }));
  // A CNI pool equal to the pod CIDR is the correct setup; only a different pool can collide.
  for (const pool of plan.cniPoolCidrs ?? []) {
    if (pool !== plan.podCidr) ranges.push({ field: "cniPool", cidr: pool });
  }
  const out: Violation[] = [];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.field === "cniPool" && b.field === "podCidr") continue;
      if (b.field === "cniPool" && a.field === "podCidr") continue;
      if (!cidrsOverlap(a.cidr, b.cidr)) continue;
      out.push({
        rule: "cidr-overlap",
        severity: "error",
        resource: planResource(a.field),
        message:
          `${a.field} ${a.cidr} overlaps ${b.field} ${b.cidr}: a packet to an address in both ranges ` +
          `cannot be routed to both a node and a pod/service; choose disjoint ranges ` +
          `(for example nodeCidr 192.168.64.0/24, podCidr 10.244.0.0/16, serviceCidr 10.96.0.0/12)`,
      });
    }
  }
  return out;
}

/** `cni-cidr-mismatch`: the addon's pool must be kubeadm's podSubnet, or pods get unrouted addresses. */
export function cniCidrMismatch(plan: NetworkPlan): Violation[] {
  if (!plan.podCidr || !plan.cniPoolCidrs) return [];
  return plan.cniPoolCidrs
    .filter(
      (pool) =>
        parseCidr(pool)?.network !== parseCidr(plan.podCidr as string)?.network ||
        parseCidr(pool)?.prefix !== parseCidr(plan.podCidr as string)?.prefix,
    )
    .map((pool) => ({
      rule: "cni-cidr-mismatch",
      severity: "error" as const,
      resource: planResource("cniPool"),
      message:
        `the ${plan.cni ?? "CNI"} pod pool ${pool} differs from podCidr ${plan.podCidr} given to kubeadm ` +
        `(networking.podSubnet); set the addon's pool to ${plan.podCidr}`,
    }));
}

/** `pod-cidr-capacity`: kube-controller-manager gives every node a /24 (IPv4) out of the pod CIDR. */
export function podCidrCapacity(plan: NetworkPlan): Violation[] {
  const parsed = plan.podCidr ? parseCidr(plan.podCidr) : undefined;
  if (!parsed || plan.nodeCount === undefined) return [];
  const mask = nodeMaskSize(parsed.family);
  const capacity = subnetCount(plan.podCidr as string, mask);
  if (capacity >= plan.nodeCount) return [];
  const needed = mask - Math.ceil(Math.log2(Math.max(plan.nodeCount, 1)));
  return [
    {
      rule: "pod-cidr-capacity",
      severity: "error",
      resource: planResource("podCidr"),
      message:
        `podCidr ${plan.podCidr} holds ${capacity} per-node /${mask} range(s) but the cluster has ` +
        `${plan.nodeCount} nodes; use a prefix of /${needed} or shorter (e.g. 10.244.0.0/16)`,
    },
  ];
}

/** `service-cidr-size`: kube-apiserver refuses an IPv4 service range with more than 20 host bits. */
export function serviceCidrSize(plan: NetworkPlan): Violation[] {
  const parsed = plan.serviceCidr ? parseCidr(plan.serviceCidr) : undefined;
  if (!parsed || parsed.family !== 4 || hostBits(plan.serviceCidr as string) <= 20) return [];
  return [
    {
      rule: "service-cidr-size",
      severity: "error",
      resource: planResource("serviceCidr"),
      message:
        `serviceCidr ${plan.serviceCidr} has ${hostBits(plan.serviceCidr as string)} host bits; ` +
        `kube-apiserver accepts at most 20 for IPv4, so use /12 or longer (e.g. 10.96.0.0/12)`,
    },
  ];
}

export const planRules = [
  cidrOverlap,
  cniCidrMismatch,
  podCidrCapacity,
  serviceCidrSize,
  vipOutsideNodeCidr,
  vipOverlap,
];

export function checkPlan(plan: NetworkPlan): Violation[] {
  return planRules.flatMap((rule) => rule(plan));
}
