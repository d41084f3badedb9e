// The only reader of pulumi.Config: every `kubelab:` key is read here, validated at once,
// and handed to the components as a typed LabConfig.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONFIG_KEYS, HostSpec, RawLabConfig, rawConfigSchema } from "./lib/config-schema";
import { ConfigProblem, configChecks, roleCounts } from "./lib/config-checks";
import { parseNodePortRange } from "./policy/nodeports";
import { Cni, NetworkPlan, NodePortRange } from "./policy/types";

export type NodeRole = "control-plane" | "worker";

export interface NodeSpec {
  name: string;
  role: NodeRole;
  /** Known up front for static hosts; multipass VMs get theirs at launch. */
  address?: string;
  sshPort: number;
  hostKey?: string;
}

export interface LabConfig {
  /** As configured: a minor ("1.36") or an exact patch ("1.36.4"). */
  kubernetesVersion: string;
  kubernetesMinor: string;
  nodes: {
    provider: "multipass" | "static";
    /** Control planes first; the first one runs `kubeadm init`. */
    specs: NodeSpec[];
    controlPlaneEndpoint?: string;
    multipass: RawLabConfig["nodes"]["multipass"];
  };
  ssh: {
    user: string;
    dialErrorLimit: number;
    privateKey: pulumi.Output<string>;
    /** Only multipass needs it, to authorise the key through cloud-init. */
    publicKey: pulumi.Output<string>;
  };
  network: Omit<RawLabConfig["network"], "nodePortRange" | "cni"> & { nodePortRange: NodePortRange; cni: Cni };
  app: RawLabConfig["app"];
  verify: RawLabConfig["verify"];
  /**
   * The UTC hour this run happens in ("2026-11-26T13"). The join token is minted again in each new
   * hour, so a join retried after a failure never meets an expired token or expired certificates.
   */
  joinTokenWindow: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const value = p.value === undefined ? "(not set)" : JSON.stringify(p.value);
    return `  - ${p.rule ? `[${p.rule}] ` : ""}${p.key} = ${value}: ${p.message}`;
  });
  return `invalid kubelab stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

function valueAt(root: unknown, keyPath: PropertyKey[]): unknown {
  return keyPath.reduce<unknown>(
    (node, key) => (node && typeof node === "object" ? (node as never)[key] : undefined),
    root,
  );
}

function schemaProblems(raw: Record<string, unknown>, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    const keyPath = issue.path
      .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`))
      .join("");
    if (issue.code === "unrecognized_keys") {
      const where = keyPath ? `${keyPath}.` : "";
      return {
        key: `kubelab:${where}${issue.keys.join(", ")}`,
        value: undefined,
        message: "unknown key; check the spelling against the config reference in README.md",
      };
    }
    return { key: `kubelab:${keyPath}`, value: valueAt(raw, issue.path), message: issue.message };
  });
}

export interface KeySources {
  /** The secret `kubelab:sshPrivateKey`, when set; wins over privateKeyPath. */
  sshPrivateKey?: pulumi.Output<string>;
  /** Reads a key file; render passes a stand-in so no real key is needed offline. */
  readKeyFile?: (file: string) => string | undefined;
  /** The time of this run; @default now */
  now?: Date;
}

function expandHome(file: string): string {
  return file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file;
}

function readIfExists(file: string): string | undefined {
  const full = expandHome(file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
}

function keyProblems(raw: RawLabConfig, sources: KeySources, read: (f: string) => string | undefined): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (!sources.sshPrivateKey && read(raw.ssh.privateKeyPath) === undefined) {
    out.push({
      key: "kubelab:ssh.privateKeyPath",
      value: raw.ssh.privateKeyPath,
      message:
        "file not found; create one with ssh-keygen -t ed25519, or set the secret with pulumi config set --secret kubelab:sshPrivateKey < KEYFILE",
    });
  }
  if (raw.nodes.provider === "multipass" && read(raw.ssh.publicKeyPath) === undefined) {
    out.push({
      key: "kubelab:ssh.publicKeyPath",
      value: raw.ssh.publicKeyPath,
      message:
        "file not found; multipass VMs authorise this public key through cloud-init (ssh-keygen -y -f PRIVATE > PUBLIC)",
    });
  }
  return out;
}

function nodeSpecs(raw: RawLabConfig): NodeSpec[] {
  if (raw.nodes.provider === "static") {
    const hosts = [...(raw.nodes.hosts ?? [])] as HostSpec[];
    const ordered = [...hosts.filter((h) => h.role === "control-plane"), ...hosts.filter((h) => h.role === "worker")];
    return ordered.map((h) => ({
      name: h.name,
      role: h.role,
      address: h.address,
      sshPort: h.port ?? raw.ssh.port,
      hostKey: h.hostKey,
    }));
  }
  const { controlPlanes, workers } = roleCounts(raw);
  const make = (role: NodeRole, prefix: string, n: number) =>
    Array.from({ length: n }, (_, i): NodeSpec => ({ name: `${prefix}-${i + 1}`, role, sshPort: 22 }));
  return [...make("control-plane", "cp", controlPlanes), ...make("worker", "worker", workers)];
}

/** Validates raw `kubelab:` values (already JSON-parsed); throws ConfigError listing every problem. */
export function parseLabConfig(raw: Record<string, unknown>, sources: KeySources = {}): LabConfig {
  const parsed = rawConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(schemaProblems(raw, parsed.error));
  const cfg = parsed.data;
  const read = sources.readKeyFile ?? readIfExists;
  const problems = [...configChecks.flatMap((check) => check(cfg)), ...keyProblems(cfg, sources, read)];
  if (problems.length > 0) throw new ConfigError(problems);
  const privateKey = sources.sshPrivateKey ?? pulumi.output(read(cfg.ssh.privateKeyPath) as string);
  const publicKey =
    cfg.nodes.provider === "multipass" ? pulumi.output(read(cfg.ssh.publicKeyPath) as string) : pulumi.output("");
  return {
    kubernetesVersion: cfg.kubernetesVersion,
    kubernetesMinor: cfg.kubernetesVersion.split(".").slice(0, 2).join("."),
    nodes: {
      provider: cfg.nodes.provider,
      specs: nodeSpecs(cfg),
      controlPlaneEndpoint: cfg.nodes.controlPlaneEndpoint,
      multipass: cfg.nodes.multipass,
    },
    ssh: {
      user: cfg.ssh.user,
      dialErrorLimit: cfg.ssh.dialErrorLimit,
      privateKey: pulumi.secret(privateKey),
      publicKey,
    },
    network: {
      ...cfg.network,
      cni: cfg.network.cni,
      nodePortRange: parseNodePortRange(cfg.network.nodePortRange) as NodePortRange,
    },
    app: cfg.app,
    verify: cfg.verify,
    joinTokenWindow: (sources.now ?? new Date()).toISOString().slice(0, 13),
  };
}

/** The network facts the policy rules need, derived from a validated config. */
export function networkPlan(config: LabConfig): NetworkPlan {
  const { nodeCidr, podCidr, serviceCidr, nodePortRange, cni } = config.network;
  return { nodeCidr, podCidr, serviceCidr, nodePortRange, cni, nodeCount: config.nodes.specs.length };
}

const SECRET_KEYS = ["sshPrivateKey"];

/** Reads every `kubelab:` key of the current stack; unknown keys are reported, not ignored. */
export function loadConfig(sources: Pick<KeySources, "readKeyFile"> = {}): LabConfig {
  const config = new pulumi.Config("kubelab");
  const raw: Record<string, unknown> = {};
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const key = fullKey.slice("kubelab:".length);
    if (!fullKey.startsWith("kubelab:") || SECRET_KEYS.includes(key)) continue;
    // kubernetesVersion stays a string: "1.30" must not become the number 1.3.
    raw[key] =
      key === "kubernetesVersion" || !(CONFIG_KEYS as string[]).includes(key) ? config.get(key) : config.getObject(key);
  }
  // Optional secret: absent unless set with `pulumi config set --secret kubelab:sshPrivateKey`.
  const keySet = (pulumi.runtime.getConfig("kubelab:sshPrivateKey") ?? "") !== "";
  return parseLabConfig(raw, { ...sources, sshPrivateKey: keySet ? config.requireSecret("sshPrivateKey") : undefined });
}
