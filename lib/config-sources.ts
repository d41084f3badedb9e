// Config checks that need more than the stack's values: the stack's name (local machines are named
// after it), the node source's addresses (the VIP must be free) and the offline bundle on disk.
// parseLabConfig runs them in the same round as every other check.
import { ConfigProblem, roleCounts } from "./config-checks";
import { RawLabConfig } from "./config-schema";
import { localNodeProblems } from "./local-nodes";
import { LoadedBundle, checkOfflineBundle } from "./offline-bundle";
import { resolveVip } from "./vip";

/** The sample app's tiers: each needs an image in an offline bundle. */
export const APP_TIERS = ["vote", "redis", "worker", "db", "result"] as const;

export interface SourceChecks {
  problems: ConfigProblem[];
  /** Worth telling, never stopping a run (e.g. a VIP with one control plane). */
  warnings: ConfigProblem[];
  /** The VIP kube-vip holds (`auto` resolved). */
  vip?: string;
  offline?: LoadedBundle;
}

/** Node names in the order every node source uses: control planes first. */
export function countedNodeNames(nodes: RawLabConfig["nodes"]): string[] {
  const { controlPlanes, workers } = roleCounts({ nodes } as RawLabConfig);
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  return [...names("cp", controlPlanes), ...names("worker", workers)];
}

function localChecks(cfg: Partial<RawLabConfig>, stack: string): ConfigProblem[] {
  const { nodes, network, ssh } = cfg;
  if (nodes?.provider !== "local" || !network || !ssh) return [];
  const problems = localNodeProblems({
    stack,
    nodeNames: countedNodeNames(nodes),
    nodeCidr: network.nodeCidr,
    ...nodes.local,
    sshUser: ssh.user,
  });
  if (ssh.port !== 22)
    problems.push({
      key: "kubelab:ssh.port",
      value: ssh.port,
      message: "local nodes run sshd on port 22; remove kubelab:ssh.port or set it to 22",
    });
  return problems;
}

export function sourceChecks(cfg: Partial<RawLabConfig>, stack: string): SourceChecks {
  const out: SourceChecks = { problems: localChecks(cfg, stack), warnings: [] };
  const { nodes, network } = cfg;
  if (nodes?.vip && network) {
    const vip = resolveVip({
      vip: nodes.vip,
      controlPlaneEndpoint: nodes.controlPlaneEndpoint,
      provider: nodes.provider,
      nodeCidr: network.nodeCidr,
      controlPlanes: roleCounts({ nodes } as RawLabConfig).controlPlanes,
      hosts: nodes.hosts,
      localNodeNames: nodes.provider === "local" ? countedNodeNames(nodes) : undefined,
    });
    out.problems.push(...vip.problems);
    out.warnings.push(...vip.warnings);
    out.vip = vip.address;
  }
  const bundle = cfg.offline?.bundle;
  if (bundle && cfg.kubernetesVersion && network && cfg.app && cfg.verify) {
    const checked = checkOfflineBundle(bundle, {
      kubernetesVersion: cfg.kubernetesVersion,
      cni: network.cni,
      appTiers: cfg.app.enabled ? APP_TIERS : [],
      probe: cfg.verify.enabled,
      kubeVip: nodes?.vip !== undefined,
    });
    out.problems.push(...checked.problems);
    if (checked.problems.length === 0) out.offline = checked.bundle;
  }
  return out;
}
