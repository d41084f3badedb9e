// Plan rules over the control-plane VIP (kubelab:nodes.vip): kube-vip announces it with ARP on the
// nodes' own network, and an address inside the pod or service range would be routed to pods or
// Services instead of the API servers.
import { cidrContains, isCidr, parseIp } from "../../lib/cidr";
import { NetworkPlan, Violation, planResource } from "../types";

/** The network plan with the VIP the control planes share, when there is one. */
export interface VipPlan extends NetworkPlan {
  vip?: string;
}

function ipv4(text: string): boolean {
  return parseIp(text)?.family === 4 && text.trim() === text;
}

/** `vip-outside-node-cidr`: the VIP is an IPv4 address inside nodeCidr. */
export function vipOutsideNodeCidr(plan: VipPlan): Violation[] {
  if (plan.vip === undefined) return [];
  const found = (message: string): Violation[] => [
    { rule: "vip-outside-node-cidr", severity: "error", resource: planResource("vip"), message },
  ];
  if (!ipv4(plan.vip)) {
    return found(`VIP ${plan.vip} is not an IPv4 address; kube-vip announces an IPv4 address inside nodeCidr with ARP`);
  }
  if (!plan.nodeCidr || !isCidr(plan.nodeCidr) || cidrContains(plan.nodeCidr, plan.vip)) return [];
  return found(
    `VIP ${plan.vip} lies outside nodeCidr ${plan.nodeCidr}: kube-vip announces it with ARP, which reaches only ` +
      `the nodes' own network, so no node or client would find it; pick an unused address inside ${plan.nodeCidr}`,
  );
}

/** `vip-overlap`: the VIP is no pod or Service address. */
export function vipOverlap(plan: VipPlan): Violation[] {
  if (plan.vip === undefined || !ipv4(plan.vip)) return [];
  const vip = plan.vip;
  return (["podCidr", "serviceCidr"] as const)
    .filter((field) => plan[field] && isCidr(plan[field] as string) && cidrContains(plan[field] as string, vip))
    .map((field) => ({
      rule: "vip-overlap",
      severity: "error" as const,
      resource: planResource("vip"),
      message:
        `VIP ${vip} lies inside ${field} ${plan[field]}: packets to it would be routed to ` +
        `${field === "podCidr" ? "pods" : "Services"}, not to the API servers; pick an unused address inside nodeCidr` +
        `${plan.nodeCidr ? ` ${plan.nodeCidr}` : ""}`,
    }));
}

/** Every VIP rule: what planRules gains once NetworkPlan carries `vip`. */
export function vipPlanProblems(plan: VipPlan): Violation[] {
  return [...vipOutsideNodeCidr(plan), ...vipOverlap(plan)];
}
