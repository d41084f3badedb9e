// A NodePort opens the same port on every node, so the range and uniqueness are cluster-wide facts:
// these rules look across every Service given, whatever file or namespace it came from.
import { violation } from "../k8s";
import { ObjectIndex, ObjectRule, buildIndex } from "../object-index";
import { NodePortClaim, nodePortFindings } from "../nodeports";
import { DEFAULT_NODE_PORT_RANGE, NetworkPlan, Violation } from "../types";

const NODE_PORT_TYPES = new Set(["NodePort", "LoadBalancer"]);

function claimsOf(index: ObjectIndex): NodePortClaim[] {
  const claims: NodePortClaim[] = [];
  for (const svc of index.services) {
    if (!NODE_PORT_TYPES.has(svc.type)) continue;
    // One Service may use a nodePort for both TCP and UDP (e.g. DNS); that is one claim, not a clash.
    const ports = new Set(svc.ports.map((p) => p.nodePort).filter((n): n is number => typeof n === "number"));
    for (const port of ports) claims.push({ owner: svc.resource, port });
  }
  return claims;
}

function nodePortViolations(
  rule: "nodeport-range" | "nodeport-duplicate",
  index: ObjectIndex,
  plan: NetworkPlan,
): Violation[] {
  const byResource = new Map(index.services.map((s) => [s.resource, s.source]));
  return nodePortFindings(claimsOf(index), plan.nodePortRange ?? DEFAULT_NODE_PORT_RANGE)
    .filter((f) => f.rule === rule)
    .flatMap((f) => {
      const source = byResource.get(f.owner);
      return source ? [violation(rule, "error", source, f.message, f.owner)] : [];
    });
}

/** `nodeport-range`: kube-apiserver allocates nodePorts only inside --service-node-port-range. */
export const nodePortRange: ObjectRule = (objects, plan, index = buildIndex(objects)) =>
  nodePortViolations("nodeport-range", index, plan);

/** `nodeport-duplicate`: two Services cannot listen on the same port of every node. */
export const nodePortDuplicate: ObjectRule = (objects, plan, index = buildIndex(objects)) =>
  nodePortViolations("nodeport-duplicate", index, plan);
