// Driving scripts/local-nodes/node.sh on this host from TypeScript: shared by the local-nodes bench
// and the local-nodes smoke test.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { cidrsOverlap } from "../lib/cidr";
import { NODE_SCRIPT } from "../lib/local-nodes";
import { PROJECT_ROOT } from "../lib/project-root";

const run = promisify(execFile);
export const NODE_SH = path.join(PROJECT_ROOT, NODE_SCRIPT);

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot run local nodes, or undefined when it can. */
export function localNodesUnavailable(): string | undefined {
  if (process.platform !== "linux") return `local nodes need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "local nodes need root (mounts, cgroups, bridges)";
  const packages: Record<string, string> = {
    "systemd-nspawn": "systemd-container",
    debootstrap: "debootstrap",
    ssh: "openssh-client",
    ping: "iputils-ping",
  };
  const missing = Object.keys(packages).filter((c) => !hasCommand(c));
  if (missing.length) {
    return `missing ${missing.join(", ")} (apt-get install ${missing.map((c) => packages[c]).join(" ")})`;
  }
  if (!fs.existsSync("/sys/fs/cgroup/memory")) {
    return "the host offers no cgroup v1 memory controller (unified cgroup v2 only)";
  }
  return undefined;
}

/** A private /24 (10.214.x.0/24) that no route of this host touches. */
export function freeNetwork(): string {
  const taken = execFileSync("ip", ["-o", "-4", "route", "show"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((dest) => dest && dest !== "default")
    .map((dest) => (dest.includes("/") ? dest : `${dest}/32`));
  const start = process.pid % 200;
  for (let i = 0; i < 200; i++) {
    const cidr = `10.214.${(start + i) % 200}.0/24`;
    if (!taken.some((t) => cidrsOverlap(t, cidr))) return cidr;
  }
  throw new Error("no free 10.214.x.0/24 on this host");
}

/** Runs `node.sh --state-dir DIR ARGS...` (INPUT on stdin); resolves to its stdout. */
export async function nodeSh(stateDir: string, args: string[], input = ""): Promise<string> {
  const child = run("bash", [NODE_SH, "--state-dir", stateDir, ...args], { maxBuffer: 1 << 22 });
  child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The node's memory cgroup, from the groups node.sh recorded when it started the node. */
export function memoryCgroup(stateDir: string, machine: string): string {
  const groups = fs
    .readFileSync(path.join(stateDir, machine, "cgroups"), "utf8")
    .trim()
    .split("\n");
  const memory = groups.find((g) => g.startsWith("/sys/fs/cgroup/memory/"));
  if (!memory) throw new Error(`node ${machine} has no memory cgroup recorded`);
  return memory;
}

/**
 * Runs a host-side command text the way the `LocalNodes` resources do (`/bin/sh -c TEXT` from the
 * project directory, INPUT on stdin), with the nodes kept in STATEDIR.
 */
export async function runCommandText(text: string, stateDir: string, input = ""): Promise<string> {
  const env = { ...process.env, KUBELAB_LOCAL_NODES_DIR: stateDir };
  const child = run("/bin/sh", ["-c", text], { cwd: PROJECT_ROOT, env, maxBuffer: 1 << 22 });
  child.child.stdin?.end(input);
  return (await child).stdout;
}
