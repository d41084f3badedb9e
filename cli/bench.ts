// `npm run bench -- [--nodes 3,10,50,200] [--runs N] [--json FILE]`: what the program costs as the
// cluster grows — resources, evaluation time, peak memory, the bootstrap critical path — and what
// `npm run check` costs on generated manifest sets. Each size runs in its own process so peak
// memory is that size's alone.
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import { Command } from "commander";
import { nthAddress } from "../lib/cidr";
import { STEP_SECONDS, VERIFY_SECONDS_PER_NODE, criticalPath } from "./bench/critical-path";
import { renderStack } from "./render/stack";

export interface SizeResult {
  nodes: number;
  controlPlanes: number;
  resources: number;
  evalMsMedian: number;
  evalMsRuns: number[];
  peakRssMb: number;
  criticalPathSteps: number;
  timeToReadyMinutes: number;
  chain: string[];
}

const BENCH_NODE_CIDR = "172.16.0.0/16";

export function benchHosts(nodes: number, controlPlanes: number) {
  return Array.from({ length: nodes }, (_, i) => ({
    name: i < controlPlanes ? `cp-${i + 1}` : `worker-${i - controlPlanes + 1}`,
    address: nthAddress(BENCH_NODE_CIDR, i + 10),
    role: i < controlPlanes ? "control-plane" : "worker",
  }));
}

function benchValues(nodes: number, controlPlanes: number): Record<string, unknown> {
  return {
    "kubelab:nodes": {
      provider: "static",
      hosts: benchHosts(nodes, controlPlanes),
      ...(controlPlanes > 1 ? { controlPlaneEndpoint: "172.16.0.5:6443" } : {}),
    },
    "kubelab:network": { nodeCidr: BENCH_NODE_CIDR, podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One size, measured in this process (called in a child). */
export async function measureSize(nodes: number, controlPlanes: number, runs: number): Promise<SizeResult> {
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof renderStack>> | undefined;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    last = await renderStack({ stack: "bench", values: benchValues(nodes, controlPlanes) });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (!last?.ok) throw new Error(`bench config for ${nodes} nodes is invalid: ${last && !last.ok ? last.error : ""}`);
  const path = criticalPath(last.run.resources);
  return {
    nodes,
    controlPlanes,
    resources: last.run.resources.length,
    evalMsMedian: Math.round(median(times)),
    evalMsRuns: times.map(Math.round),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    criticalPathSteps: path.steps,
    timeToReadyMinutes: Math.round((path.seconds / 60) * 10) / 10,
    chain: path.chain,
  };
}

function runChild(nodes: number, controlPlanes: number, runs: number): SizeResult {
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", __filename, "--child", `${nodes}:${controlPlanes}`, "--runs", String(runs)],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`bench of ${nodes} nodes failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop() as string);
}

export function sizesTable(results: SizeResult[]): string {
  const header =
    "| nodes | control planes | resources | evaluation (median ms) | peak RSS (MB) | critical path (steps) | time to ready (min) |";
  const rows = results.map(
    (r) =>
      `| ${r.nodes} | ${r.controlPlanes} | ${r.resources} | ${r.evalMsMedian} | ${r.peakRssMb} | ${r.criticalPathSteps} | ${r.timeToReadyMinutes} |`,
  );
  return [header, "|---|---|---|---|---|---|---|", ...rows].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("bench")
    .option("--nodes <list>", "node counts", "3,10,50,200")
    .option("--runs <n>", "evaluations per size (median reported)", "3")
    .option("--objects <list>", "manifest set sizes for the check benchmark", "100,1000,10000")
    .option("--json <file>", "write every figure as JSON")
    .option("--child <nodes:cps>", "internal: measure one size in this process")
    .parse(argv, { from: "user" });
  const opts = program.opts<{ nodes: string; runs: string; objects: string; json?: string; child?: string }>();
  const runs = Number(opts.runs);
  if (opts.child) {
    const [nodes, cps] = opts.child.split(":").map(Number);
    process.stdout.write(`${JSON.stringify(await measureSize(nodes, cps, runs))}\n`);
    return 0;
  }
  const sizes = opts.nodes.split(",").map(Number);
  const results = sizes.flatMap((n) => [1, 3].filter((cps) => cps < n).map((cps) => runChild(n, cps, runs)));
  process.stdout.write(`Program evaluation under mocks (${runs} runs per size)\n\n${sizesTable(results)}\n\n`);
  process.stdout.write(
    `Step durations assumed (s): ${JSON.stringify(STEP_SECONDS)}, verify +${VERIFY_SECONDS_PER_NODE} per node\n`,
  );
  const longest = results[results.length - 1];
  process.stdout.write(`Critical path at ${longest.nodes} nodes: ${longest.chain.join(" -> ")}\n\n`);
  const lab = await labEstimate();
  process.stdout.write(
    `Default lab stack (Multipass, 1 + 2): critical path ${lab.steps} steps, time to ready ~${lab.minutes} min\n\n`,
  );
  const check = await benchCheckSection(opts.objects.split(",").map(Number));
  if (opts.json) {
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(
      opts.json,
      `${JSON.stringify({ stepSeconds: STEP_SECONDS, sizes: results, lab, check }, null, 2)}\n`,
    );
    process.stdout.write(`Wrote ${opts.json}\n`);
  }
  return 0;
}

/** The default environment, VMs included: what a newcomer's first `npm run up` waits for. */
async function labEstimate(): Promise<{ steps: number; minutes: number; chain: string[] }> {
  const result = await renderStack({ stack: "lab" });
  if (!result.ok) throw new Error(result.error);
  const path = criticalPath(result.run.resources);
  return { steps: path.steps, minutes: Math.round((path.seconds / 60) * 10) / 10, chain: path.chain };
}

async function benchCheckSection(counts: number[]): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { benchCheck } = require("./bench-check") as typeof import("./bench-check");
  const results = await benchCheck(counts);
  const rows = results.map((r) => `| ${r.objects} | ${r.ms} | ${r.violations} |`);
  process.stdout.write(
    `npm run check on generated manifests\n\n| objects | median ms | violations |\n|---|---|---|\n${rows.join("\n")}\n\n`,
  );
  return results;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
