// kubeadm's configuration files (kubeadm.k8s.io/v1beta4) as pure functions, and parsers for what the
// node scripts print back. The join token and certificate key pass through here: errors never quote them.
import YAML from "yaml";
import { mergeValues } from "../../lib/offline-bundle";

export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";
/** containerd's CRI socket; kubeadm would otherwise probe and fail when several runtimes are present. */
export const CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";
export const API_SERVER_BIND_PORT = 6443;

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const CA_CERT_HASH = /^sha256:[a-f0-9]{64}$/;
const CERTIFICATE_KEY = /^[a-f0-9]{64}$/;
const KUBEADM_VERSION_LINE = /^KUBEADM_VERSION=(v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$/;

export interface InitConfigArgs {
  /** Node name of the first control plane (kubelet registers under it). */
  readonly nodeName: string;
  /** The first control plane's address inside nodeCidr: the API server advertises it. */
  readonly advertiseAddress: string;
  /** "v1.36.4" or "1.36.4"; written with a leading "v". */
  readonly kubernetesVersion: string;
  /** "host:port" every node and client reaches the API server at. */
  readonly controlPlaneEndpoint: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** @default "cluster.local" in kubelab's config; passed through as given. */
  readonly dnsDomain: string;
  /** Every control plane's address: each one serves the API certificate. */
  readonly controlPlaneAddresses: readonly string[];
  /** Cilium's kube-proxy replacement: kubeadm must not install kube-proxy. */
  readonly skipKubeProxy: boolean;
  /** Nodes are machine containers on a cgroup v1 host (local nodes). @default false */
  readonly machineContainers?: boolean;
  /** ClusterConfiguration fields to set as well (an offline bundle's version, images and tags). */
  readonly cluster?: Record<string, unknown>;
}

export interface JoinConfigArgs {
  readonly nodeName: string;
  /** The joining node's address inside nodeCidr (kubelet node-ip; a control plane also advertises it). */
  readonly nodeAddress: string;
  /** "host:port" of the API server used for discovery. */
  readonly apiServerEndpoint: string;
  /** Secret bootstrap token. */
  readonly token: string;
  /** "sha256:<hex>" of the cluster CA's public key. */
  readonly caCertHash: string;
  /** Present for control-plane joins: the key of the certificates uploaded by upload-certs (secret). */
  readonly controlPlane?: { readonly certificateKey: string };
  /** When the token expires (Unix seconds), written as a comment join.sh reads. @default none */
  readonly tokenExpires?: number;
  /** The node is a machine container on a cgroup v1 host (local nodes). @default false */
  readonly machineContainers?: boolean;
}

export interface JoinSecrets {
  token: string;
  caCertHash: string;
  /** Empty when the join-token step did not upload certificates (no control plane joins). */
  certificateKey: string;
  /** When the token (and the uploaded certificates) stop working, in Unix seconds; not secret. */
  expires?: number;
}

function nodeRegistration(name: string, nodeIp: string, machineContainers = false) {
  // Multi-NIC VMs (multipass, Vagrant) otherwise register the NAT address as the node IP.
  const registration: Record<string, unknown> = {
    name,
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [{ name: "node-ip", value: nodeIp }],
  };
  // kubeadm's SystemVerification fails on cgroup v1 for kubelet 1.35+ (and on a kernel config a
  // machine container cannot read); kubelet itself is told to accept v1 (failCgroupV1: false).
  if (machineContainers) registration.ignorePreflightErrors = ["SystemVerification"];
  return registration;
}

/**
 * Machine containers share the host's disk, so kubelet's disk signals measure the host: its
 * default hard eviction at 15% image filesystem free marks every node DiskPressure on a host that
 * is 85% full, and no pod is ever scheduled. The disk is the host's to manage, not the nodes'
 * (kind does the same); memory keeps kubelet's default.
 */
const MACHINE_CONTAINER_EVICTION = {
  "memory.available": "100Mi",
  "nodefs.available": "0%",
  "nodefs.inodesFree": "0%",
  "imagefs.available": "0%",
  "imagefs.inodesFree": "0%",
};

/**
 * What machine containers on a cgroup v1 host need: kubelet accepting cgroup v1 (1.35+ refuses it
 * by default) and leaving the shared disk alone, and kube-proxy leaving nf_conntrack_max alone,
 * which is read-only in a network namespace (kind does the same).
 */
function machineContainerDocuments(): object[] {
  return [
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      failCgroupV1: false,
      evictionHard: MACHINE_CONTAINER_EVICTION,
    },
    { apiVersion: "kubeproxy.config.k8s.io/v1alpha1", kind: "KubeProxyConfiguration", conntrack: { maxPerCore: 0 } },
  ];
}

/** "api.lab:6443" → "api.lab", "[fd00::1]:6443" → "fd00::1", "10.0.0.5" → "10.0.0.5". */
export function endpointHost(endpoint: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint);
  if (bracketed) return bracketed[1];
  const parts = endpoint.split(":");
  return parts.length === 2 ? parts[0] : endpoint;
}

function withV(version: string): string {
  return version.startsWith("v") ? version : `v${version}`;
}

// YAML 1.1 quoting: kubeadm reads YAML 1.1, where strings such as "0755" or "yes" are not strings.
function toYaml(documents: object[]): string {
  return documents.map((doc) => YAML.stringify(doc, { version: "1.1" })).join("---\n");
}

/** InitConfiguration + ClusterConfiguration for `kubeadm init --config` on the first control plane. */
export function initConfigYaml(args: InitConfigArgs): string {
  const certSANs = [...new Set([...args.controlPlaneAddresses, endpointHost(args.controlPlaneEndpoint)])];
  const init: Record<string, unknown> = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "InitConfiguration",
    localAPIEndpoint: { advertiseAddress: args.advertiseAddress, bindPort: API_SERVER_BIND_PORT },
    nodeRegistration: nodeRegistration(args.nodeName, args.advertiseAddress, args.machineContainers),
  };
  if (args.skipKubeProxy) init.skipPhases = ["addon/kube-proxy"];
  const cluster = mergeValues(
    {
      apiVersion: KUBEADM_API_VERSION,
      kind: "ClusterConfiguration",
      kubernetesVersion: withV(args.kubernetesVersion),
      controlPlaneEndpoint: args.controlPlaneEndpoint,
      networking: { podSubnet: args.podSubnet, serviceSubnet: args.serviceSubnet, dnsDomain: args.dnsDomain },
      apiServer: { certSANs },
    },
    args.cluster ?? {},
  );
  return toYaml([init, cluster, ...(args.machineContainers ? machineContainerDocuments() : [])]);
}

/** JoinConfiguration for `kubeadm join --config`; contains the token, so it is secret. */
export function joinConfigYaml(args: JoinConfigArgs): string {
  assertSecretShape("token", args.token, TOKEN, "<6 chars>.<16 chars> of [a-z0-9]");
  assertSecretShape("caCertHash", args.caCertHash, CA_CERT_HASH, "sha256:<64 hex digits>");
  const join: Record<string, unknown> = {
    apiVersion: KUBEADM_API_VERSION,
    kind: "JoinConfiguration",
    discovery: {
      bootstrapToken: { apiServerEndpoint: args.apiServerEndpoint, token: args.token, caCertHashes: [args.caCertHash] },
    },
    nodeRegistration: nodeRegistration(args.nodeName, args.nodeAddress, args.machineContainers),
  };
  if (args.controlPlane) {
    assertSecretShape("certificateKey", args.controlPlane.certificateKey, CERTIFICATE_KEY, "64 hex digits");
    join.controlPlane = {
      localAPIEndpoint: { advertiseAddress: args.nodeAddress, bindPort: API_SERVER_BIND_PORT },
      certificateKey: args.controlPlane.certificateKey,
    };
  }
  // A comment kubeadm ignores: join.sh refuses an expired token before kubeadm runs, naming the fix.
  const expiry = args.tokenExpires === undefined ? "" : `# kubelab token expires: ${args.tokenExpires}\n`;
  return `${expiry}${toYaml([join])}`;
}

// The value is a secret: say which field and what shape is expected, never what was received.
function assertSecretShape(field: string, value: unknown, shape: RegExp, expected: string): void {
  if (typeof value !== "string" || !shape.test(value)) {
    const got = typeof value === "string" ? `a ${value.length}-character string` : `a ${typeof value}`;
    throw new Error(`join-token: ${field} is not well-formed (expected ${expected}, got ${got}; value withheld)`);
  }
}

/** Parses join-token.sh's one JSON line: `{"token","caCertHash","certificateKey"}`. */
export function parseJoinToken(stdout: string): JoinSecrets {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  let parsed: unknown;
  try {
    // JSON.parse's own message quotes the input, which holds the token: it is never rethrown.
    parsed = lines.length === 1 ? JSON.parse(lines[0]) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      `join-token: expected exactly one JSON object line on stdout, got ${lines.length} line(s) ` +
        `(${stdout.length} characters; content withheld because it may hold the token). ` +
        "Run scripts/node/join-token.sh on the first control plane to see its errors.",
    );
  }
  const record = parsed as Record<string, unknown>;
  assertSecretShape("token", record.token, TOKEN, "<6 chars>.<16 chars> of [a-z0-9]");
  assertSecretShape("caCertHash", record.caCertHash, CA_CERT_HASH, "sha256:<64 hex digits>");
  const certificateKey = record.certificateKey ?? "";
  if (certificateKey !== "")
    assertSecretShape("certificateKey", certificateKey, CERTIFICATE_KEY, "64 hex digits or empty");
  const expires = record.expires;
  if (expires !== undefined && !(typeof expires === "number" && Number.isInteger(expires) && expires > 0))
    throw new Error("join-token: expires is not a time in Unix seconds");
  return {
    token: record.token as string,
    caCertHash: record.caCertHash as string,
    certificateKey: certificateKey as string,
    ...(expires === undefined ? {} : { expires }),
  };
}

/** The kubeadm version prepare.sh installed, from its `KUBEADM_VERSION=v1.36.4` line. */
export function parseKubeadmVersion(prepareStdout: string): string {
  const lines = prepareStdout.split("\n").map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith("KUBEADM_VERSION=")) continue;
    const match = KUBEADM_VERSION_LINE.exec(lines[i]);
    if (match) return match[1];
    throw new Error(
      `prepare: malformed kubeadm version line ${JSON.stringify(lines[i].slice(0, 80))}; ` +
        "expected KUBEADM_VERSION=v<major>.<minor>.<patch>, e.g. KUBEADM_VERSION=v1.36.4",
    );
  }
  const last = lines.filter((l) => l !== "").pop() ?? "";
  throw new Error(
    "prepare: no KUBEADM_VERSION=v<major>.<minor>.<patch> line on stdout (last line: " +
      `${JSON.stringify(last.slice(0, 80))}); prepare.sh prints it last once kubeadm is installed`,
  );
}
