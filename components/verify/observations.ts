// What scripts/node/network-check.sh prints: raw observations of the cluster's network, judged
// later by evaluate.ts. Every list is in the collector's node order (`kubectl get nodes`).
import { z } from "zod";

export interface ObservedNode {
  name: string;
  /** The address kubelab knows (NODE_ADDRESSES), else the node's InternalIP; "" when neither. */
  address: string;
  /** `.spec.podCIDR`; "" when the controller manager assigned none. */
  podCIDR: string;
  /** false: kubelab created the node but the API server does not list it. */
  registered: boolean;
}

/** A netexec pod (pod network) or a hostNetwork pod on one node. */
export interface ObservedProbe {
  node: string;
  pod: string;
  ready: boolean;
}

export interface ObservedPodProbe extends ObservedProbe {
  /** `.status.podIP`; "" when it never got one. */
  ip: string;
}

/** One request from the probe pod on `from` to the probe pod on `to` (different nodes). */
export interface PodToPodObservation {
  from: string;
  to: string;
  fromIp: string;
  toIp: string;
  /** The body of netexec's /clientip: the caller as the server saw it, "ip:port"; "" on failure. */
  clientIp: string;
  error: string;
}

/** One request from the hostNetwork probe on `from` to the probe pod on `to` (any node). */
export interface NodeToPodObservation {
  from: string;
  to: string;
  toIp: string;
  /** netexec's /hostname: the pod that answered; "" on failure. */
  hostname: string;
  error: string;
}

export interface ServiceObservation {
  namespace: string;
  name: string;
  port: number;
  fqdn: string;
  /** `.spec.clusterIP` as the API server reports it; "" when the Service was not found. */
  clusterIp: string;
  /** Addresses the cluster DNS returned for `fqdn`, seen from a probe pod. */
  resolved: string[];
  /** Whether a TCP connect to `fqdn:port` succeeded from that probe pod. */
  connected: boolean;
  /** The probe pod that asked; "" when none was running. */
  from: string;
  error: string;
}

export interface NodePortAnswer {
  node: string;
  address: string;
  /** Node whose hostNetwork probe sent the request (another node whenever there is one). */
  from: string;
  /** HTTP status of `GET http://address:nodePort/`; 0 when nothing answered. */
  httpStatus: number;
  error: string;
}

export interface NodePortObservation {
  namespace: string;
  name: string;
  nodePort: number;
  clusterIp: string;
  /** One per node address, including nodes running none of the Service's pods. */
  answers: NodePortAnswer[];
}

export interface Observations {
  version: 1;
  namespace: string;
  probeImage: string;
  clusterDomain: string;
  /** ClusterIP of `default/kubernetes`; "" when it could not be read. */
  kubernetesServiceIp: string;
  nodes: ObservedNode[];
  probes: ObservedPodProbe[];
  hostProbes: ObservedProbe[];
  podToPod: PodToPodObservation[];
  nodeToPod: NodeToPodObservation[];
  services: ServiceObservation[];
  nodePorts: NodePortObservation[];
}

const probe = { node: z.string(), pod: z.string(), ready: z.boolean() };
const port = z.number().int().min(0).max(65535);

const schema = z.object({
  version: z.literal(1),
  namespace: z.string(),
  probeImage: z.string(),
  clusterDomain: z.string(),
  kubernetesServiceIp: z.string(),
  nodes: z.array(z.object({ name: z.string(), address: z.string(), podCIDR: z.string(), registered: z.boolean() })),
  probes: z.array(z.object({ ...probe, ip: z.string() })),
  hostProbes: z.array(z.object(probe)),
  podToPod: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      fromIp: z.string(),
      toIp: z.string(),
      clientIp: z.string(),
      error: z.string(),
    }),
  ),
  nodeToPod: z.array(
    z.object({ from: z.string(), to: z.string(), toIp: z.string(), hostname: z.string(), error: z.string() }),
  ),
  services: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      port,
      fqdn: z.string(),
      clusterIp: z.string(),
      resolved: z.array(z.string()),
      connected: z.boolean(),
      from: z.string(),
      error: z.string(),
    }),
  ),
  nodePorts: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      nodePort: port,
      clusterIp: z.string(),
      answers: z.array(
        z.object({ node: z.string(), address: z.string(), from: z.string(), httpStatus: port, error: z.string() }),
      ),
    }),
  ),
}) satisfies z.ZodType<Observations>;

export class ObservationsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObservationsError";
  }
}

function excerpt(text: string): string {
  const flat = text.trim().replace(/\s+/g, " ");
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat || "(empty)";
}

function pathOf(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") || "(document)";
}

/** Parses the collector's stdout; throws an ObservationsError naming every field that is wrong. */
export function parseObservations(stdout: string): Observations {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch (error) {
    throw new ObservationsError(
      `network-check.sh did not print a JSON document (${(error as Error).message}); it printed: ${excerpt(stdout)}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data as Observations;
  const lines = parsed.error.issues.map((issue) => `  - observations${pathOf(issue.path)}: ${issue.message}`);
  throw new ObservationsError(
    `network-check.sh printed observations kubelab cannot read (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
  );
}
