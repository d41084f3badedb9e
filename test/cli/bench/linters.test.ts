import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CHECKOV_VERSION, Found, checkov, kubeScore } from "../../../cli/bench/linters";

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-linters-"));
  temps.push(dir);
  return dir;
}

/** A folder holding one executable `name` that prints `output`: a stand-in on PATH. */
function fakeTool(name: string, output: string): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho '${output}'\n`, { mode: 0o755 });
  return dir;
}

function linterOf(found: Found) {
  assert.ok("linter" in found, JSON.stringify(found));
  return found.linter;
}

test("a kube-score on PATH is used as it is, with its own version", () => {
  const bin = fakeTool("kube-score", "kube-score version: 1.18.0, commit: abc");
  const linter = linterOf(kubeScore({ PATH: bin, KUBELAB_CACHE: tempDir() }));
  assert.equal(linter.version, "1.18.0");
  assert.deepEqual(linter.argv(["a.yaml", "b.yaml"]), [path.join(bin, "kube-score"), "score", "a.yaml", "b.yaml"]);
});

test("a checkov on PATH runs on the kubernetes framework, one --file per file, offline", () => {
  const bin = fakeTool("checkov", "3.2.533");
  const linter = linterOf(checkov({ PATH: bin, KUBELAB_CACHE: tempDir() }));
  assert.equal(linter.version, "3.2.533");
  const argv = linter.argv(["a.yaml", "b.yaml"]);
  assert.deepEqual(argv.slice(argv.indexOf("--framework"), argv.indexOf("--framework") + 2), [
    "--framework",
    "kubernetes",
  ]);
  assert.ok(argv.includes("--skip-download"));
  assert.deepEqual(argv.slice(-4), ["--file", "a.yaml", "--file", "b.yaml"]);
});

test("without the tool, nor Go or python3 to make it, the column is skipped with the reason", () => {
  const cache = tempDir();
  const empty = { PATH: tempDir(), KUBELAB_CACHE: cache };
  const score = kubeScore(empty);
  assert.ok("skipped" in score);
  assert.equal(score.name, "kube-score");
  assert.match(score.skipped, /could not be built: go cannot run .*needs Go and the Go module proxy/);
  const ck = checkov(empty);
  assert.ok("skipped" in ck);
  assert.match(ck.skipped, /could not be installed: python3 cannot run .*needs python3 with venv and PyPI/);
  assert.equal(fs.existsSync(path.join(cache, "bench", `checkov-${CHECKOV_VERSION}`)), false);
});
