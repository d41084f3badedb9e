// The shape of kubelab's stack config (DESIGN §3), with its defaults, as zod schemas.
// Cross-field rules (CIDRs, ports, counts) live in config-checks.ts.
import { z } from "zod";
import { LOCAL_DEFAULTS } from "./local-nodes";

export const SUPPORTED_MINORS = ["1.34", "1.35", "1.36", "1.37"] as const;
export const DEFAULT_KUBERNETES_VERSION = "1.36";

const rfc1123 = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const size = /^\d+(\.\d+)?[KMGT]$/;

const host = z.strictObject({
  name: z.string().regex(rfc1123, "must be an RFC 1123 host name: lowercase letters, digits, '-' and '.'"),
  address: z.string(),
  role: z.enum(["control-plane", "worker"]),
  /** SSH port of this host; @default kubelab:ssh.port */
  port: z.number().int().min(1).max(65535).optional(),
  /** Pins the host's SSH public key ("ssh-ed25519 AAAA..."), as ssh's known_hosts would. */
  hostKey: z.string().optional(),
});

const multipass = z
  .strictObject({
    image: z.string().default("24.04"),
    cpus: z.number().int().min(2, "kubeadm preflight needs at least 2 CPUs").default(2),
    memory: z.string().regex(size, "must be a size such as 4G").default("4G"),
    disk: z.string().regex(size, "must be a size such as 20G").default("20G"),
  })
  .prefault({});

/** Machine containers on this Linux host (scripts/local-nodes/node.sh). */
const local = z
  .strictObject({
    bridge: z.string().default(LOCAL_DEFAULTS.bridge),
    release: z.string().default(LOCAL_DEFAULTS.release),
    memory: z.string().default(LOCAL_DEFAULTS.memory),
  })
  .prefault({});

const nodes = z.strictObject({
  provider: z.enum(["multipass", "static", "local"]),
  controlPlanes: z.number().int().min(1).optional(),
  workers: z.number().int().min(0).optional(),
  multipass,
  local,
  hosts: z.array(host).optional(),
  controlPlaneEndpoint: z.string().optional(),
  /** A virtual IP kube-vip holds on one control plane at a time; it becomes controlPlaneEndpoint. */
  vip: z.strictObject({ address: z.string() }).optional(),
});

const ssh = z
  .strictObject({
    user: z.string().min(1).default("ubuntu"),
    port: z.number().int().min(1).max(65535).default(22),
    privateKeyPath: z.string().default("~/.ssh/id_ed25519"),
    publicKeyPath: z.string().default("~/.ssh/id_ed25519.pub"),
    /** Connection attempts before giving up; freshly booted VMs need many. */
    dialErrorLimit: z.number().int().min(1).default(60),
  })
  .prefault({});

const chartVersions = z
  .strictObject({
    calico: z.string().default("v3.33.1"),
    flannel: z.string().default("v0.28.8"),
    cilium: z.string().default("1.19.5"),
  })
  .prefault({});

const network = z
  .strictObject({
    nodeCidr: z.string().default("192.168.64.0/24"),
    podCidr: z.string().default("10.244.0.0/16"),
    serviceCidr: z.string().default("10.96.0.0/12"),
    nodePortRange: z.string().default("30000-32767"),
    dnsDomain: z.string().regex(rfc1123, "must be a DNS domain such as cluster.local").default("cluster.local"),
    cni: z.enum(["calico", "flannel", "cilium"]).default("calico"),
    /** Cilium only: replace kube-proxy with Cilium's eBPF service handling. */
    kubeProxyReplacement: z.boolean().default(false),
    chartVersions,
  })
  .prefault({});

const app = z
  .strictObject({
    enabled: z.boolean().default(true),
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be an RFC 1123 label")
      .default("vote"),
    voteNodePort: z.number().int().default(30004),
    resultNodePort: z.number().int().default(30005),
    networkPolicies: z.boolean().default(true),
  })
  .prefault({});

const verify = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** `enforce` fails `pulumi up` when a requirement fails; `report` only records it. */
    mode: z.enum(["enforce", "report"]).default("enforce"),
  })
  .prefault({});

/** An offline bundle (npm run bundle): nothing on the nodes or in the cluster is fetched from the internet. */
const offline = z.strictObject({ bundle: z.string().min(1).optional() }).prefault({});

export const rawConfigSchema = z.strictObject({
  kubernetesVersion: z.string().default(DEFAULT_KUBERNETES_VERSION),
  nodes,
  ssh,
  network,
  app,
  verify,
  offline,
});

export type RawLabConfig = z.infer<typeof rawConfigSchema>;
export type HostSpec = z.infer<typeof host>;
/** Every key under `kubelab:` that the program reads (besides the secrets sshPrivateKey and sshKeyPassphrase). */
export const CONFIG_KEYS = Object.keys(rawConfigSchema.shape) as (keyof RawLabConfig)[];
