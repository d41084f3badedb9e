// `kubelab bench`'s side-by-side: `kubelab check` (the compiled command, as users run it) against the
// manifest linters users already run, on the same files: one small file (startup dominates), the
// test fixtures, and generated manifests of growing size. Every command is its own process, timed from spawn to exit
// with its report going to /dev/null, so each tool pays its own startup, reading and printing.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-root";
import { parseManifests } from "../../policy/load";
import { manifestFiles } from "../check";
import { generateManifestsYaml } from "./generate-manifests";
import { Found, Linter } from "./linters";

export interface Workload {
  name: string;
  files: string[];
  /** Kubernetes objects in the files, as kubelab counts them. */
  objects: number;
}

export interface Timing {
  /** Median wall-clock milliseconds of the runs. */
  ms: number;
  runs: number;
  /** Set when the command failed (an exit other than 0 or 1): what it printed. */
  failed?: string;
  /** The run was stopped after `ms`: the tool takes longer than that. */
  stopped?: boolean;
}

export interface Column {
  name: string;
  version?: string;
  /** Why the tool has no figures. */
  skipped?: string;
  /** One per workload, in order. */
  timings: Timing[];
}

export interface Comparison {
  workloads: { name: string; objects: number }[];
  columns: Column[];
  /** CPUs, and the load averages (1, 5, 15 minutes) when the runs began and ended. */
  machine?: { cpus: number; loadBefore: string[]; loadAfter: string[] };
}

export interface CompareOptions {
  /** Sizes of the generated manifest sets. */
  objects: number[];
  /** At most this many runs of one command on one workload (the median is reported). */
  maxRuns: number;
  /** After the first run, more runs only while they fit in this many milliseconds. */
  budgetMs: number;
  /** A run still going after this many milliseconds is stopped. */
  timeoutMs: number;
}

/** The compiled command: the bench measures what `npx kubelab check` runs, never the sources. */
export function kubelabCheck(root = PROJECT_ROOT): Linter {
  const entry = path.join(root, "dist", "cli", "kubelab.js");
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  return { name: "kubelab check", version, argv: (files) => [process.execPath, entry, "check", ...files] };
}

function countObjects(files: string[]): number {
  return files.reduce((n, file) => n + parseManifests(fs.readFileSync(file, "utf8"), file).objects.length, 0);
}

/** One small file, the policy fixtures, and a generated file of each size (written under `dir`). */
export function workloads(dir: string, sizes: number[], root = PROJECT_ROOT): Workload[] {
  const fixtures = path.join(root, "test", "fixtures", "policy");
  const small = path.join(fixtures, "clean-app.yaml");
  const fixtureFiles = manifestFiles(fixtures);
  const generated = sizes.map((objects): Workload => {
    const file = path.join(dir, `generated-${objects}.yaml`);
    fs.writeFileSync(file, generateManifestsYaml(objects));
    return { name: "generated manifests (one file)", files: [file], objects };
  });
  return [
    { name: "startup: one small file", files: [small], objects: countObjects([small]) },
    { name: `test fixtures (${fixtureFiles.length} files)`, files: fixtureFiles, objects: countObjects(fixtureFiles) },
    ...generated,
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Run = { ms: number } | { ms: number; failed: string } | { ms: number; stopped: true };

/** One run of `argv`; linters exit 1 when they have findings, anything else is a failure. */
function runOnce(argv: string[], timeoutMs: number): Run {
  const start = process.hrtime.bigint();
  const run = spawnSync(argv[0], argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    maxBuffer: 1 << 26,
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.signal === "SIGKILL" && ms >= timeoutMs) return { ms: timeoutMs, stopped: true };
  if (run.error || (run.status !== 0 && run.status !== 1)) {
    const said = (run.error?.message ?? run.stderr.trim().split("\n").pop() ?? "").slice(0, 200);
    return { ms, failed: `exit ${run.status ?? run.signal}: ${said}` };
  }
  return { ms };
}

/**
 * Median times of several commands on one workload, run in turns (one run of each, then again) so
 * that a busy moment of the machine falls on all of them alike. A command's first run always
 * counts; another only if it fits, with its runs after the first, in the budget.
 */
export function timeTogether(commands: string[][], maxRuns: number, budgetMs: number, timeoutMs: number): Timing[] {
  const times: number[][] = commands.map(() => []);
  const ended: (Timing | undefined)[] = commands.map(() => undefined);
  for (let round = 0; round < maxRuns && ended.some((t) => !t); round++) {
    commands.forEach((argv, i) => {
      if (ended[i]) return;
      const run = runOnce(argv, timeoutMs);
      if ("failed" in run || "stopped" in run) {
        ended[i] = { ...run, runs: times[i].length + 1 };
        return;
      }
      times[i].push(run.ms);
      const spent = times[i].slice(1).reduce((a, b) => a + b, 0);
      if (times[i].length === maxRuns || spent + run.ms > budgetMs)
        ended[i] = { ms: Math.round(median(times[i])), runs: times[i].length };
    });
  }
  return ended as Timing[];
}

/** Median time of one command (timeTogether of one). */
export function timeCommand(argv: string[], maxRuns: number, budgetMs: number, timeoutMs = 600_000): Timing {
  return timeTogether([argv], maxRuns, budgetMs, timeoutMs)[0];
}

const loadAverage = () => os.loadavg().map((n) => n.toFixed(1));

/** Every tool over every workload; tools that cannot be had keep the reason. */
export function compare(found: Found[], options: CompareOptions): Comparison {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-bench-"));
  const machine = { cpus: os.cpus().length, loadBefore: loadAverage(), loadAfter: [] as string[] };
  try {
    const loads = workloads(dir, options.objects);
    const linters = found.flatMap((f) => ("linter" in f ? [f.linter] : []));
    const timings = loads.map((w) => {
      process.stderr.write(`bench: ${w.name}, ${w.objects} objects\n`);
      const commands = linters.map((l) => l.argv(w.files));
      return timeTogether(commands, options.maxRuns, options.budgetMs, options.timeoutMs);
    });
    const columns = found.map((f): Column => {
      if ("skipped" in f) return { name: f.name, skipped: f.skipped, timings: [] };
      const i = linters.indexOf(f.linter);
      return { name: f.linter.name, version: f.linter.version, timings: timings.map((row) => row[i]) };
    });
    machine.loadAfter = loadAverage();
    return { workloads: loads.map((w) => ({ name: w.name, objects: w.objects })), columns, machine };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cell(t: Timing | undefined): string {
  if (!t) return "—";
  if (t.failed) return "failed";
  return `${t.stopped ? "> " : ""}${t.ms.toLocaleString("en-US")} ms`;
}

function ratio(t: Timing | undefined, base: Timing | undefined): string {
  if (!t || !base || t.failed || base.failed || base.stopped) return "—";
  const r = t.ms / Math.max(base.ms, 1);
  return `${t.stopped ? "> " : ""}${r >= 10 ? Math.round(r) : r.toFixed(r >= 1 ? 1 : 2)}×`;
}

/** Markdown table: the first column is kubelab, each other tool has its time and its ratio to kubelab. */
export function comparisonTable(c: Comparison): string {
  const [base, ...others] = c.columns;
  const label = (col: Column) => `${col.name}${col.version ? ` ${col.version}` : ""}`;
  const header = ["workload", "objects", label(base), ...others.flatMap((o) => [label(o), `${o.name} ÷ kubelab`])];
  const rows = c.workloads.map((w, i) => [
    w.name,
    w.objects.toLocaleString("en-US"),
    cell(base.timings[i]),
    ...others.flatMap((o) => [cell(o.timings[i]), ratio(o.timings[i], base.timings[i])]),
  ]);
  const notes = c.columns.flatMap((col) => [
    ...(col.skipped ? [`${col.name}: skipped: ${col.skipped}`] : []),
    ...col.timings.flatMap((t, i) => (t.failed ? [`${col.name} on ${c.workloads[i].name}: ${t.failed}`] : [])),
    ...col.timings.flatMap((t, i) =>
      t.stopped ? [`${col.name} on ${c.workloads[i].name}: stopped after ${t.ms / 1000} s (--linter-timeout)`] : [],
    ),
  ]);
  if (c.machine) {
    const { cpus, loadBefore, loadAfter } = c.machine;
    notes.push(
      `${cpus} CPUs; load average (1, 5, 15 min) ${loadBefore.join(", ")} before, ${loadAfter.join(", ")} after`,
    );
  }
  const lines = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}
