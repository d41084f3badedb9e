import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Comparison, compare, comparisonTable, timeCommand, timeTogether, workloads } from "../../../cli/bench/compare";
import { Linter } from "../../../cli/bench/linters";

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const node = (script: string) => [process.execPath, "-e", script];

test("timeCommand takes the median of the runs that fit the budget; exit 1 (findings) is a normal run", () => {
  const three = timeCommand(node("process.exit(1)"), 3, 60_000);
  assert.equal(three.runs, 3);
  assert.equal(three.failed, undefined);
  assert.ok(three.ms > 0);
  assert.equal(timeCommand(node("0"), 3, 0).runs, 1);
});

test("commands on one workload run in turns, each until its runs or its budget end", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-compare-"));
  temps.push(dir);
  const log = path.join(dir, "order");
  const append = (name: string) => node(`require("fs").appendFileSync(${JSON.stringify(log)}, "${name}")`);
  const timings = timeTogether([append("a"), append("b"), append("c")], 3, 60_000, 60_000);
  assert.deepEqual(
    timings.map((t) => t.runs),
    [3, 3, 3],
  );
  assert.equal(fs.readFileSync(log, "utf8"), "abcabcabc");
});

test("a command that fails says how, with the last line it printed", () => {
  const failed = timeCommand(node("console.error('no such flag'); process.exit(3)"), 3, 60_000);
  assert.equal(failed.runs, 1);
  assert.equal(failed.failed, "exit 3: no such flag");
});

test("a run that outlasts the timeout is stopped and reported as a lower bound", () => {
  const stopped = timeCommand(node("setTimeout(() => {}, 60_000)"), 3, 60_000, 300);
  assert.deepEqual(stopped, { ms: 300, runs: 1, stopped: true });
});

test("the workloads: one small file, the policy fixtures, and generated manifests of each size in one file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-compare-"));
  temps.push(dir);
  const [small, fixtures, generated, more] = workloads(dir, [40, 70]);
  assert.equal(small.files.length, 1);
  assert.ok(small.objects > 1);
  assert.ok(fixtures.files.length > 20);
  assert.match(fixtures.name, new RegExp(`\\(${fixtures.files.length} files\\)`));
  assert.deepEqual(generated.files, [path.join(dir, "generated-40.yaml")]);
  assert.equal(generated.objects, 40);
  assert.deepEqual(more.files, [path.join(dir, "generated-70.yaml")]);
});

test("every tool runs on every workload; one that cannot be had keeps its reason", () => {
  const fake: Linter = { name: "kubelab check", version: "0.1.0", argv: () => node("0") };
  const result = compare([{ linter: fake }, { name: "checkov", skipped: "no python3" }], {
    objects: [20],
    maxRuns: 1,
    budgetMs: 0,
    timeoutMs: 60_000,
  });
  assert.equal(result.workloads.length, 3);
  assert.equal(result.columns[0].timings.length, 3);
  assert.deepEqual(result.columns[1], { name: "checkov", skipped: "no python3", timings: [] });
  assert.match(
    comparisonTable(result),
    /\ncheckov: skipped: no python3\n\d+ CPUs; load average \(1, 5, 15 min\) [\d., ]+ before, [\d., ]+ after$/,
  );
});

test("the table gives each tool's median and its ratio to kubelab check", () => {
  const c: Comparison = {
    workloads: [
      { name: "one file", objects: 6 },
      { name: "many", objects: 10000 },
    ],
    columns: [
      {
        name: "kubelab check",
        version: "0.1.0",
        timings: [
          { ms: 150, runs: 10 },
          { ms: 1000, runs: 3 },
        ],
      },
      {
        name: "kube-score",
        version: "v1.20.0",
        timings: [
          { ms: 20, runs: 10 },
          { ms: 8000, runs: 3 },
        ],
      },
      {
        name: "checkov",
        version: "3.2.533",
        timings: [
          { ms: 4000, runs: 5 },
          { ms: 9, runs: 1, failed: "exit 2: boom" },
        ],
      },
      {
        name: "slow",
        timings: [
          { ms: 150, runs: 1 },
          { ms: 600_000, runs: 1, stopped: true },
        ],
      },
    ],
  };
  assert.deepEqual(comparisonTable(c).split("\n"), [
    "| workload | objects | kubelab check 0.1.0 | kube-score v1.20.0 | kube-score ÷ kubelab | checkov 3.2.533 | checkov ÷ kubelab | slow | slow ÷ kubelab |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| one file | 6 | 150 ms | 20 ms | 0.13× | 4,000 ms | 27× | 150 ms | 1.0× |",
    "| many | 10,000 | 1,000 ms | 8,000 ms | 8.0× | failed | — | > 600,000 ms | > 600× |",
    "",
    "checkov on many: exit 2: boom",
    "slow on many: stopped after 600 s (--linter-timeout)",
  ]);
});
