// How long `kubelab check` takes as manifests grow: parse the YAML text and run every rule, the
// work the command does after reading files, in this process (`kubelab bench --only check`).
import { performance } from "perf_hooks";
import { generateManifestsYaml } from "./bench/generate-manifests";
import { checkObjects } from "../policy";
import { parseManifests } from "../policy/load";
import { NetworkPlan } from "../policy/types";

export interface CheckBenchResult {
  objects: number;
  /** Median milliseconds to parse the YAML and run every rule. */
  ms: number;
  /** Median milliseconds of the rules alone. */
  rulesMs: number;
  violations: number;
}

const PLAN: NetworkPlan = {
  nodeCidr: "192.168.64.0/24",
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  cni: "calico",
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function measure(count: number, runs: number): CheckBenchResult {
  const text = generateManifestsYaml(count);
  const totals: number[] = [];
  const rules: number[] = [];
  let violations = 0;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const { objects } = parseManifests(text, "generated.yaml");
    const parsed = performance.now();
    violations = checkObjects(objects, PLAN).length;
    const end = performance.now();
    totals.push(end - start);
    rules.push(end - parsed);
  }
  return { objects: count, ms: round(median(totals)), rulesMs: round(median(rules)), violations };
}

/** Median timing of `check` over generated manifests of each size. */
export function benchCheck(counts: number[], runs = 5): CheckBenchResult[] {
  return counts.map((count) => measure(count, runs));
}

export function formatBenchTable(results: CheckBenchResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.objects} | ${r.ms} | ${r.rulesMs} | ${round((r.ms / Math.max(r.objects, 1)) * 1000)} | ${r.violations} |`,
  );
  return [
    "| objects | median ms (parse + rules) | rules ms | ms per 1,000 objects | violations |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
