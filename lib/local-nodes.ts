// Pure helpers of the `local` node source: machine containers made by scripts/local-nodes/node.sh
// on this host. Addresses come from nodeCidr (the bridge takes the first host address, the
// nodes the ones after it); the host-side commands are built here, quoted, and their output
// parsed here, so the component only wires them into resources.
import { quote } from "shell-quote";
import { createHash } from "crypto";
import { hostBits, nthAddress, parseCidr } from "./cidr";
import type { ConfigProblem } from "./config-checks";

/** The script every host-side command runs; relative to the project directory, where Pulumi runs commands. */
export const NODE_SCRIPT = "scripts/local-nodes/node.sh";

export const LOCAL_DEFAULTS = {
  /** Linux bridge the lab's nodes share; the host's address on it is the nodes' gateway and DNS. */
  bridge: "kubelab0",
  /** Debian release of the node rootfs. */
  release: "bookworm",
  /** Memory limit of each node's cgroup (the node still sees the host's total in /proc/meminfo). */
  memory: "4G",
} as const;

/** What node.sh accepts (scripts/local-nodes/lib.sh): kept in step so config errors come first. */
const BRIDGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const MACHINE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MEMORY = /^[1-9][0-9]*[KMG]?$/;
const RELEASE = /^[a-z]+$/;
const START_TOKEN = /^[A-Za-z0-9:._-]{1,64}$/;

export interface LocalNetworkPlan {
  /** The host's address on the bridge: the nodes' default gateway and resolver. */
  gateway: string;
  prefix: number;
  /** `gateway/prefix`, what `node.sh bridge-up` takes. */
  bridgeCidr: string;
  /** Node name -> its address, in the order given. */
  addresses: Map<string, string>;
}

/** Addresses of a lab: the bridge gets nodeCidr's first host address, node i the (i+2)-th. */
export function planLocalNetwork(nodeCidr: string, nodeNames: string[]): LocalNetworkPlan {
  const parsed = parseCidr(nodeCidr);
  if (!parsed || parsed.family !== 4) throw new Error(`local nodes need an IPv4 nodeCidr, got ${nodeCidr}`);
  const gateway = nthAddress(nodeCidr, 1);
  const addresses = new Map(nodeNames.map((name, i) => [name, nthAddress(nodeCidr, i + 2)]));
  return { gateway, prefix: parsed.prefix, bridgeCidr: `${gateway}/${parsed.prefix}`, addresses };
}

/**
 * The host-wide name of a node (machine, cgroup and state directory): `<stack>-<node>`, so two
 * stacks' `cp-1` do not meet. Stack names may hold characters a host name may not; too long a
 * name keeps its start and gets a short hash, so it stays unique.
 */
export function machineName(stack: string, node: string): string {
  const clean = `${stack}-${node}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (clean.length <= 63) return clean;
  const hash = createHash("sha256").update(`${stack}\0${node}`).digest("hex").slice(0, 8);
  return `${clean.slice(0, 54).replace(/-$/, "")}-${hash}`;
}

export interface LocalNodesInput {
  stack: string;
  nodeNames: string[];
  nodeCidr: string;
  bridge: string;
  release: string;
  memory: string;
  sshUser: string;
}

/** Every problem with a local lab's settings, each naming the config key, the value and the fix. */
export function localNodeProblems(input: LocalNodesInput): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (key: string, value: unknown, message: string) => out.push({ key: `kubelab:${key}`, value, message });
  if (!BRIDGE_NAME.test(input.bridge)) {
    add(
      "nodes.local.bridge",
      input.bridge,
      "not a Linux interface name: 1-15 letters, digits, '_', '.' or '-', e.g. kubelab0",
    );
  }
  if (!RELEASE.test(input.release)) {
    add("nodes.local.release", input.release, "write a Debian release code name such as bookworm");
  }
  if (!MEMORY.test(input.memory)) {
    add("nodes.local.memory", input.memory, "write a size such as 4G or 2048M (K, M or G; no decimals)");
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(input.sshUser)) {
    add("ssh.user", input.sshUser, "local nodes create this user: lowercase letters, digits, '_' and '-'");
  }
  const parsed = parseCidr(input.nodeCidr);
  if (!parsed || parsed.family !== 4) {
    add("network.nodeCidr", input.nodeCidr, "local nodes need an IPv4 network such as 10.213.0.0/24");
  } else if (parsed.prefix < 8 || parsed.prefix > 30) {
    add("network.nodeCidr", input.nodeCidr, "use a prefix between /8 and /30 for local nodes, e.g. /24");
  } else {
    // Network and broadcast addresses are unusable; the bridge takes one more.
    const room = 2 ** hostBits(input.nodeCidr) - 3;
    if (input.nodeNames.length > room) {
      add(
        "network.nodeCidr",
        input.nodeCidr,
        `holds ${room} node address(es) after the bridge's, but ${input.nodeNames.length} nodes are configured; use a larger network or fewer nodes`,
      );
    }
  }
  for (const node of input.nodeNames) {
    const machine = machineName(input.stack, node);
    if (!MACHINE_NAME.test(machine)) {
      add("nodes", node, `gives the host-wide node name '${machine}', which is not a valid host name`);
    }
  }
  return out;
}

const run = (...args: string[]) => quote(["bash", NODE_SCRIPT, ...args]);

export function bridgeUpCommand(bridge: string, bridgeCidr: string): string {
  return run("bridge-up", bridge, bridgeCidr);
}

/** Keeps the bridge while another lab's nodes still use it. */
export function bridgeDownCommand(bridge: string): string {
  return run("bridge-down", bridge);
}

export interface NodeUpSpec {
  machine: string;
  /** The node's host name (the Kubernetes node name). */
  hostname: string;
  address: string;
  plan: LocalNetworkPlan;
  bridge: string;
  user: string;
  memory: string;
  release: string;
  /** Marks this start; `status --json` reports it while the node keeps running. */
  token: string;
}

/**
 * Builds the rootfs when missing, creates the node when missing (the public key on stdin), boots
 * it when not running: idempotent, so the same text serves create and restart. stdout: only the
 * start JSON.
 */
export function nodeUpCommand(spec: NodeUpSpec): string {
  if (!START_TOKEN.test(spec.token)) throw new Error(`invalid start token: ${spec.token}`);
  const rootfs = run("rootfs", "--release", spec.release);
  const create = run(
    "create",
    spec.machine,
    "--address",
    `${spec.address}/${spec.plan.prefix}`,
    "--bridge",
    spec.bridge,
    "--gateway",
    spec.plan.gateway,
    "--user",
    spec.user,
    "--pubkey-file",
    "-",
    "--memory",
    spec.memory,
    "--hostname",
    spec.hostname,
    "--release",
    spec.release,
  );
  const start = run("start", spec.machine, "--token", spec.token);
  return `${rootfs} </dev/null >/dev/null && ${create} >/dev/null && ${start} </dev/null`;
}

export function nodeDestroyCommand(machine: string): string {
  return run("destroy", machine);
}

/** `node.sh status NAME --json`, as argv for execFile. */
export function statusArgv(machine: string): string[] {
  return ["bash", NODE_SCRIPT, "status", machine, "--json"];
}

export interface StartResult {
  name: string;
  address: string;
  /** The node's SSH host key, "ssh-ed25519 AAAA...", for pinning. */
  hostKey: string;
}

/** Reads `node.sh start`'s JSON line and checks it describes the node that was asked for. */
export function parseStartOutput(machine: string, expectedAddress: string, stdout: string): StartResult {
  const line = stdout.trim().split("\n").pop() ?? "";
  let parsed: Partial<StartResult>;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`node.sh start ${machine} did not print its JSON line; got: ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (parsed.name !== machine || parsed.address !== expectedAddress) {
    throw new Error(
      `node.sh start ${machine} reported node ${parsed.name} at ${parsed.address}, expected ${machine} at ${expectedAddress}`,
    );
  }
  if (typeof parsed.hostKey !== "string" || !/^ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(parsed.hostKey)) {
    throw new Error(`node.sh start ${machine} reported no ed25519 host key; got ${JSON.stringify(parsed.hostKey)}`);
  }
  return { name: parsed.name, address: parsed.address, hostKey: parsed.hostKey };
}

export type LocalNodeState = "running" | "stopped" | "absent" | "unknown";

export interface LocalNodeStatus {
  state: LocalNodeState;
  /** The token of the start that booted the running node. */
  token?: string;
}

/** `node.sh status --json` output; anything unreadable is "unknown". */
export function parseStatus(stdout: string): LocalNodeStatus {
  try {
    const parsed = JSON.parse(stdout.trim());
    if (["running", "stopped", "absent"].includes(parsed.state)) {
      return { state: parsed.state, token: parsed.token || undefined };
    }
  } catch {
    // fall through
  }
  return { state: "unknown" };
}

/**
 * The start token the program passes for a node. A running node keeps the token of the start
 * that booted it, so the command's inputs do not change and an unchanged lab previews clean; a
 * node that is not running (host rebooted, stopped by hand) gets a new one, so `pulumi up`
 * updates the resource, which starts the node again on the disk it has.
 */
export function startToken(status: LocalNodeStatus, now: Date): string {
  if (status.state === "running" && status.token && START_TOKEN.test(status.token)) return status.token;
  if (status.state === "unknown") return "unknown";
  return `boot-${now.toISOString().replace(/[^0-9TZ]/g, "")}`;
}
