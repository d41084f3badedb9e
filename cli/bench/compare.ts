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

/** Median time of `argv`; linters exit 1 when they have findings, anything else is a failure. */
export function timeCommand(argv: string[], maxRuns: number, budgetMs: number, timeoutMs = 600_000): Timing {
  const times: number[] = [];
  while (times.length < maxRuns) {
    const start = process.hrtime.bigint();
    const run = spawnSync(argv[0], argv.slice(1), {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
      maxBuffer: 1 << 26,
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.signal === "SIGKILL" && ms >= timeoutMs) return { ms: timeoutMs, runs: times.length + 1, stopped: true };
    if (run.error || (run.status !== 0 && run.status !== 1)) {
      const said = (run.error?.message ?? run.stderr.trim().split("\n").pop() ?? "").slice(0, 200);
      return { ms, runs: times.length + 1, failed: `exit ${run.status ?? run.signal}: ${said}` };
    }
    times.push(ms);
    // The first run always counts; another one only if it fits, with the ones after the first, in the budget.
    if (times.slice(1).reduce((a, b) => a + b, 0) + ms > budgetMs) break;
  }
  return { ms: Math.round(median(times)), runs: times.length };
}

/** Every tool over every workload; tools that cannot be had keep the reason. */
export function compare(found: Found[], options: CompareOptions): Comparison {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-bench-"));
  try {
    const loads = workloads(dir, options.objects);
    const columns = found.map((f): Column => {
      if ("skipped" in f) return { name: f.name, skipped: f.skipped, timings: [] };
      const { linter } = f;
      process.stderr.write(`bench: timing ${linter.name} ${linter.version}\n`);
      const timings = loads.map((w) =>
        timeCommand(linter.argv(w.files), options.maxRuns, options.budgetMs, options.timeoutMs),
      );
      return { name: linter.name, version: linter.version, timings };
    });
    return { workloads: loads.map((w) => ({ name: w.name, objects: w.objects })), columns };
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
  const lines = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}
