import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubelab } from "./kubelab-run";

/** `npm run render -- ARGS`: the compiled `kubelab render`. */
function renderCli(args: string[]) {
  const run = kubelab(["render", ...args]);
  return { ...run, status: run.code };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-render-"));

test("render --stack byo exits 0 and writes plan.json with every resource", () => {
  const out = tmp();
  const result = renderCli(["--stack", "byo", "--out", out]);
  assert.equal(result.status, 0, result.stderr);
  const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
  assert.ok(plan.resources.length > 10);
  for (const r of plan.resources)
    assert.deepEqual(
      Object.keys(r).sort(),
      ["dependsOn", "inputs", "name", "parent", "type"].filter((k) => k !== "parent" || "parent" in r).sort(),
    );
  assert.ok(fs.existsSync(path.join(out, "nodes", "cp-1", "init.sh")));
  assert.ok(fs.existsSync(path.join(out, "kubeadm", "init.yaml")));
});

test("render --config with overlapping pod and node CIDRs exits 1, names both keys and the rule, writes no plan", () => {
  const dir = tmp();
  const file = path.join(dir, "Pulumi.overlap.yaml");
  fs.writeFileSync(
    file,
    [
      "config:",
      "  kubelab:nodes:",
      "    provider: static",
      "    hosts: [{ name: cp-1, address: 10.244.0.10, role: control-plane }]",
      "  kubelab:ssh: { privateKeyPath: ./missing-key-is-fine-offline }",
      "  kubelab:network: { nodeCidr: 10.244.0.0/24, podCidr: 10.244.0.0/16 }",
      "",
    ].join("\n"),
  );
  const out = path.join(dir, "out");
  const result = renderCli(["--config", file, "--out", out]);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /cidr-overlap/);
  assert.match(result.stderr, /podCidr/);
  assert.match(result.stderr, /nodeCidr/);
  assert.ok(!fs.existsSync(path.join(out, "plan.json")), "no plan written");
});

test("render refuses both or neither of --stack and --config with exit 2", () => {
  assert.equal(renderCli([]).status, 2);
  assert.equal(renderCli(["--stack", "lab", "--config", "x.yaml"]).status, 2);
});
