// `kubelab bench [--only program,check,linters] [--json FILE]`: what the program costs as the
// cluster grows — resources, evaluation time, peak memory, the bootstrap critical path — what
// `kubelab check` costs on generated manifest sets, and how long it takes beside kube-score and
// checkov on the same files. Each size runs in its own process so peak memory is that size's alone.
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { nthAddress } from "../lib/cidr";
import { CheckBenchResult, benchCheck, formatBenchTable } from "./bench-check";
import { compare, comparisonTable, kubelabCheck } from "./bench/compare";
import {
  MEASURED_LOCAL_OFFLINE_SECONDS,
  STEP_SECONDS,
  VERIFY_SECONDS_PER_NODE,
  criticalPath,
} from "./bench/critical-path";
import { checkov, kubeScore } from "./bench/linters";
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

/** One size in a child process: `kubelab bench --child`, compiled or (in tests) from the sources. */
function runChild(nodes: number, controlPlanes: number, runs: number): SizeResult {
  const fromSources = __filename.endsWith(".ts");
  const entry = path.join(__dirname, fromSources ? "kubelab.ts" : "kubelab.js");
  const child = spawnSync(
    process.execPath,
    [
      ...(fromSources ? ["--import", "tsx"] : []),
      entry,
      "bench",
      "--child",
      `${nodes}:${controlPlanes}`,
      "--runs",
      String(runs),
    ],
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

const SECTIONS = ["program", "check", "linters"] as const;
type Section = (typeof SECTIONS)[number];

interface BenchOptions {
  nodes: number[];
  runs: number;
  objects: number[];
  linterObjects: number[];
  linterTimeout: number;
  only: Section[];
  json?: string;
  child?: string;
}

function counts(value: string): number[] {
  const list = value.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError("write positive integers, e.g. 100,1000");
  return list;
}

function sectionList(value: string): Section[] {
  const list = value.split(",");
  const unknown = list.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown section ${unknown.join(", ")}; sections: ${SECTIONS.join(", ")}`);
  return list as Section[];
}

function program(): Command {
  return new Command("kubelab bench")
    .description("Measure the program as the cluster grows, check's own cost, and check against kube-score and checkov")
    .option("--nodes <list>", "node counts", counts, [3, 10, 50, 200])
    .option("--runs <n>", "evaluations per size (median reported)", (v) => counts(v)[0], 3)
    .option("--objects <list>", "manifest set sizes for check's own cost", counts, [100, 1000, 10000])
    .option("--linter-objects <list>", "generated manifest set sizes beside the linters", counts, [1000, 10000])
    .option("--linter-timeout <s>", "stop a linter run after this many seconds", (v) => counts(v)[0], 600)
    .option("--only <sections>", `run only these sections (${SECTIONS.join(",")})`, sectionList, [...SECTIONS])
    .option("--json <file>", "write every figure as JSON")
    .addOption(new Option("--child <nodes:cps>", "measure one size in this process").hideHelp())
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
}

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  try {
    cmd.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const opts = cmd.opts<BenchOptions>();
  if (opts.child) {
    const [nodes, cps] = opts.child.split(":").map(Number);
    process.stdout.write(`${JSON.stringify(await measureSize(nodes, cps, opts.runs))}\n`);
    return 0;
  }
  const figures: Record<string, unknown> = {};
  if (opts.only.includes("program")) Object.assign(figures, await programSection(opts));
  if (opts.only.includes("check")) figures.check = benchCheckSection(opts.objects);
  if (opts.only.includes("linters")) figures.linters = lintersSection(opts.linterObjects, opts.linterTimeout);
  if (opts.json) {
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(opts.json, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`Wrote ${opts.json}\n`);
  }
  return 0;
}

async function programSection(opts: BenchOptions): Promise<Record<string, unknown>> {
  const runs = opts.runs;
  const results = opts.nodes.flatMap((n) => [1, 3].filter((cps) => cps < n).map((cps) => runChild(n, cps, runs)));
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
  const local = await localEstimate();
  process.stdout.write(
    "seconds" in local
      ? `Local stack (machine containers, offline bundle, 1 + 2): critical path ${local.steps} steps, ` +
          `~${local.seconds} s with the step durations npm run e2e measured: ${JSON.stringify(MEASURED_LOCAL_OFFLINE_SECONDS)}\n\n`
      : `Local stack: skipped (${local.skipped})\n\n`,
  );
  return { stepSeconds: STEP_SECONDS, sizes: results, lab, local };
}

/** `kubelab check` beside kube-score and checkov, each built or installed into the cache when missing. */
function lintersSection(objects: number[], timeoutSeconds: number): unknown {
  const found = [{ linter: kubelabCheck() }, kubeScore(), checkov()];
  const result = compare(found, { objects, maxRuns: 10, budgetMs: 20_000, timeoutMs: timeoutSeconds * 1000 });
  process.stdout.write(
    `kubelab check beside the linters users run, on the same files (wall clock per run, median)\n\n` +
      `${comparisonTable(result)}\n\n`,
  );
  return result;
}

/** The default environment, VMs included: what a newcomer's first `npm run up` waits for. */
async function labEstimate(): Promise<{ steps: number; minutes: number; chain: string[] }> {
  const result = await renderStack({ stack: "lab" });
  if (!result.ok) throw new Error(result.error);
  const path = criticalPath(result.run.resources);
  return { steps: path.steps, minutes: Math.round((path.seconds / 60) * 10) / 10, chain: path.chain };
}

/** The local stack weighted by measured durations; it needs its offline bundle built. */
async function localEstimate(): Promise<{ steps: number; seconds: number; chain: string[] } | { skipped: string }> {
  const result = await renderStack({ stack: "local" });
  if (!result.ok) return { skipped: result.error.split("\n")[0] };
  const path = criticalPath(result.run.resources, MEASURED_LOCAL_OFFLINE_SECONDS);
  return { steps: path.steps, seconds: Math.round(path.seconds), chain: path.chain };
}

function benchCheckSection(counts: number[]): CheckBenchResult[] {
  const results = benchCheck(counts);
  process.stdout.write(
    `kubelab check's own cost on generated manifests (in process: YAML parsing and rules)\n\n${formatBenchTable(results)}\n\n`,
  );
  return results;
}
