// Every environment in stacks/ renders under the mocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { networkPlan, parseLabConfig } from "../config";
import { kubernetesObjects } from "../cli/render/files";
import { readStackFile, stackFilePath } from "../cli/stack-file";
import { checkObjects, NetworkPlan } from "../policy";
import { fakeBundleOverrides } from "./fake-bundle";
import { testKeys } from "./helpers";
import { render } from "./mocks";

/** Offline stacks render against a small fake bundle instead of the one in the kubelab cache. */
function overridesOf(stack: string): Record<string, string> {
  return fakeBundleOverrides(readStackFile(stackFilePath(stack)).config);
}

function planOf(stack: string): NetworkPlan {
  const { config } = readStackFile(stackFilePath(stack));
  const raw = Object.fromEntries(
    Object.entries({ ...config, ...overridesOf(stack) })
      .filter(([key]) => key !== "kubelab:sshPrivateKey")
      .map(([key, value]) => [
        key.slice("kubelab:".length),
        key === "kubelab:kubernetesVersion" ? value : JSON.parse(value),
      ]),
  );
  return networkPlan(parseLabConfig(raw, testKeys));
}

const stacks = fs
  .readdirSync(path.join(__dirname, "..", "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => Boolean(s));

test("there are lab, byo and ha stacks", () => {
  for (const stack of ["lab", "byo", "ha"]) assert.ok(stacks.includes(stack), stack);
});

for (const stack of stacks) {
  test(`stack ${stack} renders`, async () => {
    const run = await render({ stack, overrides: overridesOf(stack) });
    assert.ok(
      run.run.resources.some((r) => r.name.endsWith("-init")),
      "kubeadm init is planned",
    );
    assert.ok(run.files.has("plan.json"));
  });
}

// The "policy checks as unit tests" of the design: every object each stack creates, through the rules.
for (const stack of stacks) {
  test(`stack ${stack}: every Kubernetes object it creates passes the policy rules`, async () => {
    const run = await render({ stack, overrides: overridesOf(stack) });
    const objects = kubernetesObjects(run.run.resources).map((object) => ({ object }));
    assert.ok(objects.length > 0);
    const errors = checkObjects(objects, planOf(stack)).filter((v) => v.severity === "error");
    assert.deepEqual(errors, []);
    const findings = run.run.outputs.policyFindings as { severity: string }[];
    assert.ok(Array.isArray(findings) && findings.every((f) => f.severity === "warning"), "the in-program gate ran");
  });
}
