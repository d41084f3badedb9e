// Cross-field validation of the stack config. Each problem names the key, the value and the fix.
// The checks that are policy rules over the config (node ports, the network plan, NetworkPolicy
// support) live in policy/config-rules.ts, so config errors and `kubelab check` speak alike while
// this ground floor imports nothing above it; config.ts runs both lists.
import { cidrContains, isCidr, isIp, parseCidr } from "./cidr";
import { RawLabConfig, SUPPORTED_MINORS } from "./config-schema";

export interface ConfigProblem {
  /** Full config key, e.g. `kubelab:network.podCidr`. */
  key: string;
  value: unknown;
  message: string;
  /** The DESIGN §5 rule name when the problem is one of the networking rules. */
  rule?: string;
}

const k = (path: string) => `kubelab:${path}`;

export function problem(path: string, value: unknown, message: string, rule?: string): ConfigProblem {
  return { key: k(path), value, message, rule };
}

export function checkVersion(raw: RawLabConfig): ConfigProblem[] {
  const match = /^(\d+\.\d+)(\.\d+)?$/.exec(raw.kubernetesVersion);
  if (match && (SUPPORTED_MINORS as readonly string[]).includes(match[1])) return [];
  return [
    problem(
      "kubernetesVersion",
      raw.kubernetesVersion,
      `not a supported version; use a minor (${SUPPORTED_MINORS.join(", ")}) or an exact patch such as 1.36.4`,
    ),
  ];
}

export function checkCidrs(raw: RawLabConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const families = new Set<number>();
  for (const field of ["nodeCidr", "podCidr", "serviceCidr"] as const) {
    const value = raw.network[field];
    const parsed = parseCidr(value);
    if (!parsed) {
      out.push(
        problem(`network.${field}`, value, "not a valid CIDR; write an address and prefix such as 10.244.0.0/16"),
      );
    } else {
      families.add(parsed.family);
      if (parsed.network !== value.split("/")[0] && parsed.family === 4) {
        out.push(
          problem(
            `network.${field}`,
            value,
            `has host bits set; write the network address ${parsed.network}/${parsed.prefix}`,
          ),
        );
      }
    }
  }
  if (out.length === 0 && families.size > 1) {
    out.push(problem("network", raw.network, "nodeCidr, podCidr and serviceCidr must all be IPv4 or all IPv6"));
  }
  return out;
}

function roleCounts(raw: RawLabConfig): { controlPlanes: number; workers: number } {
  if (raw.nodes.provider !== "static") {
    return { controlPlanes: raw.nodes.controlPlanes ?? 1, workers: raw.nodes.workers ?? 2 };
  }
  const hosts = raw.nodes.hosts ?? [];
  const controlPlanes = hosts.filter((h) => h.role === "control-plane").length;
  return { controlPlanes, workers: hosts.length - controlPlanes };
}

export function checkNodes(raw: RawLabConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const { provider, hosts } = raw.nodes;
  if (provider === "static") {
    if (!hosts || hosts.length === 0) {
      out.push(problem("nodes.hosts", hosts, "provider static needs a list of hosts ({name, address, role})"));
    }
    for (const field of ["controlPlanes", "workers"] as const) {
      if (raw.nodes[field] !== undefined) {
        out.push(
          problem(
            `nodes.${field}`,
            raw.nodes[field],
            "is for providers multipass and local; with static hosts the counts come from each host's role",
          ),
        );
      }
    }
  } else if (hosts) {
    out.push(
      problem(
        "nodes.hosts",
        `${hosts.length} host(s)`,
        `is for provider static; ${raw.nodes.provider} creates its own machines, set nodes.controlPlanes and nodes.workers`,
      ),
    );
  }
  (hosts ?? []).forEach((h, i) => {
    if (!isIp(h.address)) {
      out.push(problem(`nodes.hosts[${i}].address`, h.address, "not an IP address; give the node's IPv4 address"));
    } else if (isCidr(raw.network.nodeCidr) && !cidrContains(raw.network.nodeCidr, h.address)) {
      out.push(
        problem(
          `nodes.hosts[${i}].address`,
          h.address,
          `is outside nodeCidr ${raw.network.nodeCidr}; fix the address or set kubelab:network.nodeCidr to the hosts' subnet`,
        ),
      );
    }
  });
  out.push(...duplicates(hosts ?? [], "name"), ...duplicates(hosts ?? [], "address"));
  const { controlPlanes } = roleCounts(raw);
  const countKey = provider === "static" ? "nodes.hosts" : "nodes.controlPlanes";
  if (controlPlanes !== 1 && (controlPlanes < 3 || controlPlanes % 2 === 0)) {
    out.push(
      problem(
        countKey,
        `${controlPlanes} control plane(s)`,
        "use 1 control plane, or an odd number >= 3 so etcd keeps quorum",
      ),
    );
  }
  return out;
}

const ENDPOINT_FORMAT = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

function missingEndpoint(raw: RawLabConfig, controlPlanes: number): string {
  const required = `required with ${controlPlanes} control planes`;
  if (raw.nodes.provider === "local")
    return `${required}: set kubelab:nodes.vip to {address: auto} and kube-vip holds a virtual IP on the control planes`;
  if (raw.nodes.provider !== "multipass")
    return (
      `${required}: set kubelab:nodes.vip to {address: <an unused address in nodeCidr>} for a kube-vip virtual IP, ` +
      `or give a stable address (VIP or DNS name, optional :port) in front of every API server`
    );
  // kubeadm init bakes the endpoint into every certificate and kubeconfig, before any VM address is known.
  return (
    `${required}, and on multipass it must exist before the VMs do: run a TCP load balancer for port 6443 ` +
    `on an address the VMs reach (e.g. HAProxy on this machine's Multipass bridge address), or use a DNS name ` +
    `you point at the control planes once they are up, and set kubelab:nodes.controlPlaneEndpoint to it ` +
    `(host[:port]); or set kubelab:nodes.controlPlanes to 1`
  );
}

/** Where an IPv4 endpoint can never serve the API: loopback, 0.0.0.0, or inside the pod or service range. */
function unusableEndpoint(raw: RawLabConfig, host: string): string | undefined {
  if (!isIp(host) || host.includes(":")) return undefined;
  if (host === "0.0.0.0" || cidrContains("127.0.0.0/8", host))
    return "is not an address the nodes can reach; use an address or DNS name in front of the API servers";
  for (const field of ["podCidr", "serviceCidr"] as const) {
    const cidr = raw.network[field];
    if (isCidr(cidr) && cidrContains(cidr, host))
      return `lies inside ${field} ${cidr}, which belongs to pods or Services; use an address outside the cluster's ranges`;
  }
  return undefined;
}

/** `nodes.controlPlaneEndpoint`: present when HA needs it, well-formed, and reachable in principle. */
export function checkEndpoint(raw: RawLabConfig): ConfigProblem[] {
  const endpoint = raw.nodes.controlPlaneEndpoint;
  const { controlPlanes } = roleCounts(raw);
  if (!endpoint) {
    return controlPlanes > 1 && !raw.nodes.vip
      ? [problem("nodes.controlPlaneEndpoint", undefined, missingEndpoint(raw, controlPlanes))]
      : [];
  }
  if (!ENDPOINT_FORMAT.test(endpoint)) {
    return [
      problem(
        "nodes.controlPlaneEndpoint",
        endpoint,
        "write a host name or IPv4 address with an optional :port, e.g. 192.168.56.100:6443",
      ),
    ];
  }
  const why = unusableEndpoint(raw, endpoint.split(":")[0]);
  return why ? [problem("nodes.controlPlaneEndpoint", endpoint, why)] : [];
}

function duplicates(hosts: { name: string; address: string }[], field: "name" | "address"): ConfigProblem[] {
  const seen = new Map<string, number>();
  const out: ConfigProblem[] = [];
  hosts.forEach((h, i) => {
    const first = seen.get(h[field]);
    if (first === undefined) seen.set(h[field], i);
    else
      out.push(
        problem(
          `nodes.hosts[${i}].${field}`,
          h[field],
          `duplicates nodes.hosts[${first}].${field}; every host needs a unique ${field}`,
        ),
      );
  });
  return out;
}

export function checkCni(raw: RawLabConfig): ConfigProblem[] {
  if (raw.network.kubeProxyReplacement && raw.network.cni !== "cilium") {
    return [
      problem(
        "network.kubeProxyReplacement",
        true,
        `only cilium can replace kube-proxy; set cni to cilium or kubeProxyReplacement to false`,
      ),
    ];
  }
  return [];
}

/** A cross-field check with the config sections it reads: it runs only when they all parsed. */
export interface ConfigCheck {
  check: (raw: RawLabConfig) => ConfigProblem[];
  reads: (keyof RawLabConfig)[];
}

export const configChecks: ConfigCheck[] = [
  { check: checkVersion, reads: ["kubernetesVersion"] },
  { check: checkCidrs, reads: ["network"] },
  { check: checkNodes, reads: ["nodes", "network"] },
  { check: checkEndpoint, reads: ["nodes", "network"] },
  { check: checkCni, reads: ["network"] },
];

export { roleCounts };
