// Helm releases of the three pod network addons as pure data: chart, version, namespace and the
// values that tie each addon to kubeadm's podSubnet and to the node network (issue 4).
import type { Input } from "@pulumi/pulumi";
import { parseCidr } from "../../lib/cidr";
import { cidrOverlap, cniCidrMismatch } from "../../policy/plan-rules";
import { Cni, NetworkPlan, Violation, cniEnforcesNetworkPolicy } from "../../policy/types";

export interface AddonArgs {
  cni: Cni;
  /** kubeadm's networking.podSubnet: the only pool the addon may hand out addresses from. */
  podCidr: string;
  /** Where node addresses live: the addon's node address / interface detection is bound to it. */
  nodeCidr: string;
  serviceCidr: string;
  /** Cilium only: Cilium's eBPF replaces kube-proxy (kubeadm then skips its kube-proxy addon). */
  kubeProxyReplacement: boolean;
  /** Chart version, from `kubelab:network.chartVersions`. */
  chartVersion: string;
  /** Cilium with kube-proxy replacement: the API server address agents dial before any Service works. */
  apiServerHost?: Input<string>;
  /** @default 6443 */
  apiServerPort?: number;
  /**
   * More than one control plane: node agents dial apiServerHost (a VIP or load balancer) rather than
   * the `kubernetes` Service (see agent-endpoint.ts). Cilium takes it in its values; PodNetwork
   * gives it to flannel and Calico.
   */
  agentsUseEndpoint?: boolean;
}

export interface AddonRelease {
  cni: Cni;
  /** The chart's name in `repo`, or the path of a local chart (offline). */
  chart: string;
  /** Unset for a local chart. */
  repo?: string;
  version: string;
  namespace: string;
  /** Labels of the release namespace (applied only when kubelab creates it, i.e. not kube-system). */
  namespaceLabels: Record<string, string>;
  values: Record<string, unknown>;
  /**
   * Calico only: the spec of `Installation/default`, which kubelab creates itself after the chart
   * rather than through the chart's values (see calicoInstallation).
   */
  installation?: Record<string, unknown>;
  /** The pod pool(s) read back from what is sent to the cluster: what the cni-cidr-mismatch gate checks. */
  poolCidrs: string[];
  /** The addon's per-node agent, whose pods the readiness wait watches. */
  agent: { namespace: string; selector: string };
}

export const DEFAULT_API_SERVER_PORT = 6443;

/** The chart's own pool when nothing is set (REFERENCE: Cilium cluster-pool ignores podSubnet). */
const CILIUM_DEFAULT_CLUSTER_POOL = "10.0.0.0/8";

const PRIVILEGED = { "pod-security.kubernetes.io/enforce": "privileged" };

export const enforcesNetworkPolicy = cniEnforcesNetworkPolicy;

/** The Helm release kubelab installs for `args.cni`. */
export function addonRelease(args: AddonArgs): AddonRelease {
  const base = releaseBase(args);
  return {
    ...base,
    cni: args.cni,
    version: args.chartVersion,
    poolCidrs: poolCidrsOf(args.cni, base, args.podCidr),
  };
}

function releaseBase(args: AddonArgs): Omit<AddonRelease, "cni" | "version" | "poolCidrs"> {
  switch (args.cni) {
    case "calico":
      return {
        chart: "tigera-operator",
        repo: "https://docs.tigera.io/calico/charts",
        // The operator runs with hostNetwork before any CNI exists; a hardened default PSS level
        // would keep it from starting, silently.
        namespace: "tigera-operator",
        namespaceLabels: { ...PRIVILEGED },
        values: calicoValues(),
        installation: calicoInstallation(args),
        agent: { namespace: "calico-system", selector: "k8s-app=calico-node" },
      };
    case "flannel":
      return {
        chart: "flannel",
        repo: "https://flannel-io.github.io/flannel/",
        // The chart renders no Namespace (its objects go to .Release.Namespace); flannel's Helm
        // instructions create kube-flannel labelled privileged before installing.
        namespace: "kube-flannel",
        namespaceLabels: { ...PRIVILEGED },
        values: flannelValues(args),
        agent: { namespace: "kube-flannel", selector: "app=flannel" },
      };
    case "cilium":
      return {
        chart: "cilium",
        repo: "https://helm.cilium.io/",
        // Where Cilium's docs and the cilium CLI install it: kube-system already admits its
        // privileged, system-node-critical agent, so no namespace of kubelab's own is needed.
        namespace: "kube-system",
        namespaceLabels: {},
        values: ciliumValues(args),
        agent: { namespace: "kube-system", selector: "k8s-app=cilium" },
      };
  }
}

/**
 * Helm v4 `Chart` skips chart hooks, so the tigera-operator's pre-delete cleanup Job never runs: an
 * Installation rendered by the chart would be deleted together with the operator, its finalizer never
 * removed, and destroy would hang. The chart therefore only runs the operator; kubelab creates the
 * Installation after it (and so deletes it first). The APIServer, Goldmane and Whisker resources are
 * off: a lab needs none of them, and each would add images and another finalizer.
 */
function calicoValues(): Record<string, unknown> {
  return {
    installation: { enabled: false },
    apiServer: { enabled: false },
    goldmane: { enabled: false },
    whisker: { enabled: false },
  };
}

/**
 * The spec of `Installation/default`.
 * Plain VXLAN rather than VXLANCrossSubnet: lab nodes share one subnet, where CrossSubnet would send
 * pod addresses unencapsulated, and hypervisor bridges and cloud networks with source checks drop them.
 * VXLAN needs no BGP, so BGP is off (one daemon less per node).
 */
function calicoInstallation(args: AddonArgs): Record<string, unknown> {
  return {
    calicoNetwork: {
      bgp: "Disabled",
      ipPools: [
        {
          name: "default-ipv4-ippool",
          cidr: args.podCidr,
          blockSize: 26,
          encapsulation: "VXLAN",
          natOutgoing: "Enabled",
          nodeSelector: "all()",
        },
      ],
      // Multi-NIC VMs: firstFound follows the default route (often a NAT address shared by every VM).
      nodeAddressAutodetectionV4: { cidrs: [args.nodeCidr] },
    },
  };
}

/**
 * `--iface-can-reach` picks the interface (and its address) that `ip route get` uses for the given
 * address. The network address of nodeCidr is routed out of the node-network interface on every
 * node and is never a node's own address (which would resolve to `lo`).
 * `flannel.args` replaces the chart's list, so its two defaults are repeated.
 */
function flannelValues(args: AddonArgs): Record<string, unknown> {
  return {
    podCidr: args.podCidr,
    podCidrv6: "",
    flannel: {
      backend: "vxlan",
      args: ["--ip-masq", "--kube-subnet-mgr", `--iface-can-reach=${reachAddress(args.nodeCidr)}`],
    },
  };
}

/** The address flannel routes towards to find the node-network interface. */
export function reachAddress(nodeCidr: string): string {
  const parsed = parseCidr(nodeCidr);
  if (!parsed) throw new Error(`nodeCidr ${JSON.stringify(nodeCidr)} is not a CIDR such as 192.168.64.0/24`);
  return parsed.network;
}

/**
 * `ipam.mode: kubernetes` hands out addresses from each Node's spec.podCIDR, which
 * kube-controller-manager carves from kubeadm's podSubnet. Cilium takes a node's address from the
 * Node's InternalIP (kubelet's node-ip, inside nodeCidr); with kube-proxy replacement, NodePorts are
 * also bound to nodeCidr addresses (`nodePort.addresses` -> `nodeport-addresses`).
 */
function ciliumValues(args: AddonArgs): Record<string, unknown> {
  const values: Record<string, unknown> = {
    ipam: { mode: "kubernetes" },
    routingMode: "tunnel",
    tunnelProtocol: "vxlan",
    kubeProxyReplacement: args.kubeProxyReplacement,
    // Two replicas with anti-affinity leave one Pending on a single-node lab, and the chart's
    // Deployment would never report ready.
    operator: { replicas: 1 },
    // The default `helm` method signs new Hubble certificates on every render, so every `up` would
    // update their Secrets. With `cronJob` certgen signs them in the cluster, reusing its CA. Its
    // one-shot Job is a post-install hook, which Helm v4 `Chart` skips: the server certificate first
    // appears at the CronJob's run. Only Hubble Relay needs it, which kubelab does not enable; the
    // agent mounts the Secret as optional and keeps running without it.
    hubble: { tls: { auto: { method: "cronJob" } } },
  };
  if (!args.kubeProxyReplacement && !args.agentsUseEndpoint) return values;
  if (args.apiServerHost === undefined || args.apiServerHost === "") {
    throw new Error(
      `cilium with ${args.kubeProxyReplacement ? "kubeProxyReplacement" : "agentsUseEndpoint"} needs apiServerHost: ` +
        "its agents dial the API server directly, so pass the control-plane endpoint host",
    );
  }
  return {
    ...values,
    k8sServiceHost: args.apiServerHost,
    k8sServicePort: args.apiServerPort ?? DEFAULT_API_SERVER_PORT,
    ...(args.kubeProxyReplacement ? { nodePort: { addresses: [args.nodeCidr] } } : {}),
  };
}

/** What kubelab sends to the cluster for an addon: the chart's values and, for Calico, the Installation. */
export type AddonConfig = Pick<AddonRelease, "values" | "installation">;

/** The pod pool(s) an addon hands out, as configured by what kubelab sends to the cluster. */
export function poolCidrsOf(cni: Cni, sent: AddonConfig, kubeadmPodCidr: string): string[] {
  const at = (root: unknown, path: string[]): unknown =>
    path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as never)[key] : undefined), root);
  const { values } = sent;
  switch (cni) {
    case "calico": {
      // The Installation kubelab creates, else the one the chart would render from its values.
      const chartInstallation = at(values, ["installation", "enabled"]) === false ? undefined : values.installation;
      const pools = at(sent.installation ?? chartInstallation, ["calicoNetwork", "ipPools"]);
      return Array.isArray(pools) ? pools.map((p) => String((p as { cidr?: unknown }).cidr)) : ["192.168.0.0/16"];
    }
    case "flannel":
      return [String(at(values, ["podCidr"]) ?? "10.244.0.0/16")];
    case "cilium": {
      // Kubernetes host-scope IPAM uses the Node podCIDRs, i.e. kubeadm's podSubnet.
      if (at(values, ["ipam", "mode"]) === "kubernetes") return [kubeadmPodCidr];
      const list = at(values, ["ipam", "operator", "clusterPoolIPv4PodCIDRList"]);
      return Array.isArray(list) ? list.map(String) : [CILIUM_DEFAULT_CLUSTER_POOL];
    }
  }
}

/** The network plan an addon is checked against. */
export function addonPlan(args: AddonArgs): NetworkPlan {
  return { nodeCidr: args.nodeCidr, podCidr: args.podCidr, serviceCidr: args.serviceCidr, cni: args.cni };
}

/** A pod network addon configured against the plan: fixed in config, not a bug. */
export class AddonPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddonPlanError";
  }
}

/** The in-program gate: the addon's pool must be kubeadm's podSubnet and collide with nothing. */
export function assertAddonMatchesPlan(release: Pick<AddonRelease, "cni" | "poolCidrs">, plan: NetworkPlan): void {
  const checked: NetworkPlan = { ...plan, cni: release.cni, cniPoolCidrs: release.poolCidrs };
  const violations: Violation[] = [...cniCidrMismatch(checked), ...cidrOverlap(checked)];
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  - [${v.rule}] ${v.message}`);
  throw new AddonPlanError(
    `the ${release.cni} pod network does not match the network plan (${violations.length} problem` +
      `${violations.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
  );
}
