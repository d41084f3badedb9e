// `tsx cli/bench-local-nodes.ts [--nodes 1,3] [--idle SECONDS] [--json FILE]`: real local nodes on
// this host (root, Linux, systemd-nspawn): the shared rootfs (built or cached), then for each count
// N, N nodes started together on a bridge of their own: start-to-SSH seconds per node, idle
// memory per node (its memory cgroup, systemd-nspawn included) and stop seconds; then destroyed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Command } from "commander";
import { LOCAL_DEFAULTS, parseStartOutput, planLocalNetwork } from "../lib/local-nodes";
import { freeNetwork, localNodesUnavailable, memoryCgroup, nodeSh } from "./local-nodes-host";

export interface CountResult {
  nodes: number;
  /** Seconds from `node.sh start` to the node's SSH answering with its pinned host key. */
  startToSshSeconds: number[];
  /** Memory cgroup usage after the idle wait, MiB (page cache included). */
  idleMemoryMiB: number[];
  /** The same without page cache: resident memory, MiB. */
  idleRssMiB: number[];
  /** Seconds for `node.sh stop` (orderly halt) per node, all stopped together. */
  stopSeconds: number[];
}

export interface LocalNodesBench {
  rootfs: { cached: boolean; seconds: number; path: string; sizeMiB: number };
  counts: CountResult[];
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await work();
  return [value, seconds(start)];
}

function memoryMiB(cgroup: string): { usage: number; rss: number } {
  const usage = Number(fs.readFileSync(path.join(cgroup, "memory.usage_in_bytes"), "utf8"));
  const stat = fs.readFileSync(path.join(cgroup, "memory.stat"), "utf8");
  const rss = Number(/^total_rss (\d+)$/m.exec(stat)?.[1] ?? 0);
  return { usage: round(usage / 2 ** 20), rss: round(rss / 2 ** 20) };
}

async function benchRootfs(stateDir: string): Promise<LocalNodesBench["rootfs"]> {
  const [out, secs] = await timed(() => nodeSh(stateDir, ["rootfs"]));
  const dir = out.trim();
  const sizeKiB = Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]);
  // A cached rootfs answers at once; anything slower was a build.
  return { cached: secs < 5, seconds: round(secs), path: dir, sizeMiB: round(sizeKiB / 1024) };
}

async function benchCount(n: number, idleSeconds: number, stateDir: string, pubkey: string): Promise<CountResult> {
  const bridge = `klb${process.pid % 100000}`;
  const machines = Array.from({ length: n }, (_, i) => `bench${process.pid % 100000}-${i + 1}`);
  const plan = planLocalNetwork(freeNetwork(), machines);
  try {
    await nodeSh(stateDir, ["bridge-up", bridge, plan.bridgeCidr]);
    for (const m of machines) {
      const address = `${plan.addresses.get(m)}/${plan.prefix}`;
      const args = ["create", m, "--address", address, "--bridge", bridge, "--gateway", plan.gateway, "--user", "kube"];
      await nodeSh(stateDir, [...args, "--pubkey-file", "-", "--memory", LOCAL_DEFAULTS.memory], pubkey);
    }
    const starts = await Promise.all(
      machines.map(async (m) => {
        const [out, secs] = await timed(() => nodeSh(stateDir, ["start", m]));
        parseStartOutput(m, plan.addresses.get(m) as string, out);
        return secs;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const memory = machines.map((m) => memoryMiB(memoryCgroup(stateDir, m)));
    const stops = await Promise.all(machines.map(async (m) => (await timed(() => nodeSh(stateDir, ["stop", m])))[1]));
    return {
      nodes: n,
      startToSshSeconds: starts.map((s) => round(s, 2)),
      idleMemoryMiB: memory.map((m) => m.usage),
      idleRssMiB: memory.map((m) => m.rss),
      stopSeconds: stops.map((s) => round(s, 2)),
    };
  } finally {
    for (const m of machines) await nodeSh(stateDir, ["destroy", m]).catch((e) => console.error(String(e)));
    await nodeSh(stateDir, ["bridge-down", bridge]).catch((e) => console.error(String(e)));
  }
}

function report(result: LocalNodesBench): string {
  const r = result.rootfs;
  const lines = [
    `rootfs: ${r.cached ? "cached" : `built in ${r.seconds}s`}, ${r.sizeMiB} MiB (${r.path})`,
    "nodes | start-to-SSH s (each)        | idle memory MiB (each, rss) | stop s (each)",
  ];
  for (const c of result.counts) {
    const mem = c.idleMemoryMiB.map((m, i) => `${m} (${c.idleRssMiB[i]})`).join(", ");
    lines.push(`${c.nodes} | ${c.startToSshSeconds.join(", ")} | ${mem} | ${c.stopSeconds.join(", ")}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const program = new Command()
    .name("bench-local-nodes")
    .option("--nodes <counts>", "comma-separated node counts, each started together", "1,3")
    .option("--idle <seconds>", "idle wait before reading memory", "10")
    .option("--json <file>", "also write the results as JSON")
    .parse();
  const opts = program.opts<{ nodes: string; idle: string; json?: string }>();
  const counts = opts.nodes.split(",").map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 50))
    program.error(`--nodes: counts 1-50, got ${opts.nodes}`);
  const idle = Number(opts.idle);
  if (!(idle >= 0)) program.error(`--idle: seconds >= 0, got ${opts.idle}`);
  const unavailable = localNodesUnavailable();
  if (unavailable) program.error(`cannot run local nodes here: ${unavailable}`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-bench-"));
  try {
    const stateDir = path.join(work, "nodes");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubelab-bench", "-f", path.join(work, "id")]);
    const pubkey = fs.readFileSync(path.join(work, "id.pub"), "utf8");
    const result: LocalNodesBench = { rootfs: await benchRootfs(stateDir), counts: [] };
    for (const n of counts) result.counts.push(await benchCount(n, idle, stateDir, pubkey));
    console.log(report(result));
    if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
