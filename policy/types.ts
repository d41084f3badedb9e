/** Shared vocabulary of the policy rules (DESIGN §5). */

export type Severity = "error" | "warning";

export interface Violation {
  rule: string;
  severity: Severity;
  /** `Kind/namespace/name`; plan-level findings use `NetworkPlan/kubelab/<field>`. */
  resource: string;
  /** The file the object came from, when known. */
  file?: string;
  message: string;
}

export type Cni = "calico" | "flannel" | "cilium";

export interface NodePortRange {
  low: number;
  high: number;
}

/** What the rules know about the cluster network; every field is optional for `npm run check`. */
export interface NetworkPlan {
  nodeCidr?: string;
  podCidr?: string;
  serviceCidr?: string;
  /** @default 30000-32767 */
  nodePortRange?: NodePortRange;
  cni?: Cni;
  /** The pod pool(s) the CNI addon is configured with (from its rendered values). */
  cniPoolCidrs?: string[];
  /** Number of nodes the pod CIDR must hold a per-node range for. */
  nodeCount?: number;
  /** The control planes' virtual IP (kube-vip), when the stack has one. */
  vip?: string;
  /** Offline stacks: every image reference the bundle holds; nothing else can run. */
  bundleImages?: string[];
}

/** A Kubernetes object as plain data, with the file it was read from when known. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface SourcedObject {
  object: K8sObject;
  file?: string;
  /** 1-based line of `file` where the object's document starts, when it was read from text. */
  line?: number;
}

export const DEFAULT_NODE_PORT_RANGE: NodePortRange = { low: 30000, high: 32767 };

/** CNIs that implement NetworkPolicy (REFERENCE: Flannel does not). */
export function cniEnforcesNetworkPolicy(cni: Cni): boolean {
  return cni !== "flannel";
}

export function planResource(field: string): string {
  return `NetworkPlan/kubelab/${field}`;
}
