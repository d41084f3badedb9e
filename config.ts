// The only reader of pulumi.Config: every `kubelab:` key is read here, validated at once,
// and handed to the components as a typed LabConfig.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, HostSpec, RawLabConfig } from "./lib/config-schema";
import { ConfigProblem, configChecks, roleCounts } from "./lib/config-checks";
import { SshAuth, sshAuth } from "./lib/config-ssh";
import { complete, crossFieldProblems, parseSections } from "./lib/config-validate";
import { sourceChecks } from "./lib/config-sources";
import { LoadedBundle, bundleImageRefs } from "./lib/offline-bundle";
import { API_SERVER_PORT } from "./components/cluster/endpoint";
import { policyConfigChecks } from "./policy/config-rules";
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
    provider: RawLabConfig["nodes"]["provider"];
    /** Control planes first; the first one runs `kubeadm init`. */
    specs: NodeSpec[];
    /** As configured, or `<vip>:6443` when kube-vip holds a VIP. */
    controlPlaneEndpoint?: string;
    /** The VIP kube-vip holds on one control plane at a time (`auto` resolved). */
    vip?: string;
    multipass: RawLabConfig["nodes"]["multipass"];
    local: RawLabConfig["nodes"]["local"];
  };
  ssh: {
    user: string;
    dialErrorLimit: number;
    /** How nodes are logged in to: the key, the key and its passphrase, or the SSH agent. */
    auth: SshAuth;
    /** Secret; absent when the SSH agent holds the (encrypted) key. */
    privateKey?: pulumi.Output<string>;
    /** Secret; only for an encrypted key. */
    privateKeyPassword?: pulumi.Output<string>;
    /** Multipass (cloud-init) and local nodes authorise it for ssh.user; empty for static hosts. */
    publicKey: pulumi.Output<string>;
  };
  network: Omit<RawLabConfig["network"], "nodePortRange" | "cni"> & { nodePortRange: NodePortRange; cni: Cni };
  app: RawLabConfig["app"];
  verify: RawLabConfig["verify"];
  /** The offline bundle, validated; undefined for online installs. */
  offline?: LoadedBundle;
  /** Findings worth telling that do not stop a run (`key = value: message`). */
  warnings: string[];
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

export interface KeySources {
  /** The secret `kubelab:sshPrivateKey` (the key's text), when set; wins over privateKeyPath. */
  sshPrivateKey?: string;
  /** The secret `kubelab:sshKeyPassphrase`, when set; unlocks an encrypted private key. */
  sshKeyPassphrase?: string;
  /** Reads a key file; render passes a stand-in so no real key is needed offline. */
  readKeyFile?: (file: string) => string | undefined;
  /** The SSH agent's socket; null: no agent. @default SSH_AUTH_SOCK, when that socket exists */
  agentSocket?: string | null;
  /** The stack's name: local machines are named after it. @default "dev" */
  stack?: string;
}

function expandHome(file: string): string {
  return file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file;
}

function readIfExists(file: string): string | undefined {
  const full = expandHome(file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
}

function defaultAgentSocket(): string | undefined {
  const socket = process.env.SSH_AUTH_SOCK;
  return socket && fs.existsSync(socket) ? socket : undefined;
}

interface KeyCheck {
  problems: ConfigProblem[];
  keyText?: string;
  auth?: SshAuth;
}

function keyCheck(raw: Pick<RawLabConfig, "ssh" | "nodes">, sources: KeySources, read: KeyReader): KeyCheck {
  const problems: ConfigProblem[] = [];
  if (raw.nodes.provider !== "static" && read(raw.ssh.publicKeyPath) === undefined) {
    const how =
      raw.nodes.provider === "multipass"
        ? "multipass VMs authorise it through cloud-init"
        : "local nodes authorise it for ssh.user";
    problems.push({
      key: "kubelab:ssh.publicKeyPath",
      value: raw.ssh.publicKeyPath,
      message: `file not found; ${how} (ssh-keygen -y -f PRIVATE > PUBLIC)`,
    });
  }
  const keyText = sources.sshPrivateKey ?? read(raw.ssh.privateKeyPath);
  if (keyText === undefined) {
    problems.push({
      key: "kubelab:ssh.privateKeyPath",
      value: raw.ssh.privateKeyPath,
      message:
        "file not found; create one with ssh-keygen -t ed25519, or set the secret with pulumi config set --secret kubelab:sshPrivateKey < KEYFILE",
    });
    return { problems };
  }
  const auth = sshAuth({
    keyText,
    source: sources.sshPrivateKey
      ? { key: "kubelab:sshPrivateKey", value: "[secret]" }
      : { key: "kubelab:ssh.privateKeyPath", value: raw.ssh.privateKeyPath },
    passphraseSet: !!sources.sshKeyPassphrase,
    agentSocket: sources.agentSocket === undefined ? defaultAgentSocket() : (sources.agentSocket ?? undefined),
  });
  if ("problem" in auth) return { problems: [...problems, auth.problem] };
  return { problems, keyText, auth: auth.auth };
}

type KeyReader = (file: string) => string | undefined;

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

function sshSettings(
  cfg: RawLabConfig,
  keys: Required<Omit<KeyCheck, "problems">>,
  sources: KeySources,
  read: KeyReader,
) {
  const withKey = keys.auth !== "agent";
  return {
    user: cfg.ssh.user,
    dialErrorLimit: cfg.ssh.dialErrorLimit,
    auth: keys.auth,
    privateKey: withKey ? pulumi.secret(keys.keyText) : undefined,
    privateKeyPassword:
      keys.auth === "key-with-passphrase" ? pulumi.secret(sources.sshKeyPassphrase as string) : undefined,
    publicKey:
      cfg.nodes.provider === "static" ? pulumi.output("") : pulumi.output(read(cfg.ssh.publicKeyPath) as string),
  };
}

/**
 * Validates raw `kubelab:` values (already JSON-parsed) in one round: schema mistakes, cross-field
 * problems and key problems together; throws ConfigError listing every one.
 */
export function parseLabConfig(raw: Record<string, unknown>, sources: KeySources = {}): LabConfig {
  const read = sources.readKeyFile ?? readIfExists;
  const { parsed, problems } = parseSections(raw);
  problems.push(...crossFieldProblems(parsed, [...configChecks, ...policyConfigChecks]));
  const fromSources = sourceChecks(parsed, sources.stack ?? "dev");
  problems.push(...fromSources.problems);
  const keys =
    parsed.ssh && parsed.nodes ? keyCheck({ ssh: parsed.ssh, nodes: parsed.nodes }, sources, read) : undefined;
  problems.push(...(keys?.problems ?? []));
  if (problems.length > 0 || !complete(parsed) || !keys?.auth || keys.keyText === undefined)
    throw new ConfigError(problems);
  const cfg = parsed;
  return {
    kubernetesVersion: cfg.kubernetesVersion,
    kubernetesMinor: cfg.kubernetesVersion.split(".").slice(0, 2).join("."),
    nodes: {
      provider: cfg.nodes.provider,
      specs: nodeSpecs(cfg),
      controlPlaneEndpoint:
        cfg.nodes.controlPlaneEndpoint ?? (fromSources.vip ? `${fromSources.vip}:${API_SERVER_PORT}` : undefined),
      vip: fromSources.vip,
      multipass: cfg.nodes.multipass,
      local: cfg.nodes.local,
    },
    ssh: sshSettings(cfg, { auth: keys.auth, keyText: keys.keyText }, sources, read),
    network: {
      ...cfg.network,
      cni: cfg.network.cni,
      nodePortRange: parseNodePortRange(cfg.network.nodePortRange) as NodePortRange,
    },
    app: cfg.app,
    verify: cfg.verify,
    offline: fromSources.offline,
    warnings: fromSources.warnings.map((w) => `${w.key} = ${JSON.stringify(w.value)}: ${w.message}`),
  };
}

/** The network facts the policy rules need, derived from a validated config. */
export function networkPlan(config: LabConfig): NetworkPlan {
  const { nodeCidr, podCidr, serviceCidr, nodePortRange, cni } = config.network;
  return {
    nodeCidr,
    podCidr,
    serviceCidr,
    nodePortRange,
    cni,
    nodeCount: config.nodes.specs.length,
    vip: config.nodes.vip,
    bundleImages: config.offline ? bundleImageRefs(config.offline.manifest) : undefined,
  };
}

/** Optional secrets: undeclared in Pulumi.yaml (a declared secret needs an encrypted default). */
const SECRET_KEYS = ["sshPrivateKey", "sshKeyPassphrase"];

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
  // Read as plain text only to validate them; parseLabConfig hands them on as secrets.
  const secret = (key: string) => pulumi.runtime.getConfig(`kubelab:${key}`) || undefined;
  return parseLabConfig(raw, {
    ...sources,
    stack: pulumi.getStack(),
    sshPrivateKey: secret("sshPrivateKey"),
    sshKeyPassphrase: secret("sshKeyPassphrase"),
  });
}
