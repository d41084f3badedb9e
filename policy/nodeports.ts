// NodePort checks shared by the config validator (app ports) and the Service rules.
import { NodePortRange } from "./types";

export interface NodePortClaim {
  /** Who asks for the port, e.g. `Service/vote/vote` or `kubelab:app.voteNodePort`. */
  owner: string;
  port: number;
}

export interface NodePortFinding {
  rule: "nodeport-range" | "nodeport-duplicate";
  owner: string;
  port: number;
  message: string;
}

export function parseNodePortRange(text: string): NodePortRange | undefined {
  const match = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!match) return undefined;
  const [low, high] = [Number(match[1]), Number(match[2])];
  if (low < 1 || high > 65535 || low >= high) return undefined;
  return { low, high };
}

export function formatRange(range: NodePortRange): string {
  return `${range.low}-${range.high}`;
}

/** Every claim outside the range, and every port claimed more than once (all claimants named). */
export function nodePortFindings(claims: NodePortClaim[], range: NodePortRange): NodePortFinding[] {
  const out: NodePortFinding[] = [];
  for (const claim of claims) {
    if (claim.port < range.low || claim.port > range.high) {
      out.push({
        rule: "nodeport-range",
        owner: claim.owner,
        port: claim.port,
        message:
          `nodePort ${claim.port} of ${claim.owner} is outside the node port range ${formatRange(range)}; ` +
          `pick a port in that range or widen --service-node-port-range (kubelab:network.nodePortRange)`,
      });
    }
  }
  const byPort = new Map<number, string[]>();
  for (const claim of claims) byPort.set(claim.port, [...(byPort.get(claim.port) ?? []), claim.owner]);
  for (const [port, owners] of byPort) {
    if (owners.length < 2) continue;
    for (const owner of owners.slice(1)) {
      out.push({
        rule: "nodeport-duplicate",
        owner,
        port,
        message:
          `nodePort ${port} is claimed by ${owners.join(" and ")}; every node listens once per port, ` +
          `so give each a distinct nodePort`,
      });
    }
  }
  return out;
}
