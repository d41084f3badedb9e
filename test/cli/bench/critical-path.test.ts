import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MEASURED_LOCAL_OFFLINE_SECONDS,
  VERIFY_SECONDS_PER_NODE,
  criticalPath,
} from "../../../cli/bench/critical-path";
import { readStackFile, stackFilePath } from "../../../cli/stack-file";
import { fakeBundleOverrides } from "../../fake-bundle";
import { hosts, render, staticValues } from "../../mocks";

const bigNetwork = { "kubelab:network": { nodeCidr: "192.168.0.0/16", podCidr: "10.244.0.0/16" } };

function spread(controlPlanes: number, workers: number) {
  // 200 workers do not fit a /24: spread them over 192.168.0.0/16.
  return hosts(controlPlanes, workers).map((h, i) => ({
    ...h,
    address: `192.168.${1 + Math.floor(i / 200)}.${(i % 200) + 10}`,
  }));
}

test("the bootstrap critical path is the same for 3 and for 200 workers", async () => {
  const small = criticalPath((await render({ values: staticValues(spread(1, 3), bigNetwork) })).run.resources);
  const large = criticalPath((await render({ values: staticValues(spread(1, 200), bigNetwork) })).run.resources);
  assert.equal(small.steps, large.steps);
  // Only the network check's per-node rounds grow; the bootstrap chain itself does not.
  assert.equal(large.seconds - small.seconds, (201 - 4) * VERIFY_SECONDS_PER_NODE);
  assert.deepEqual(
    small.chain.map((s) => s.split(":")[0]),
    // One control plane: installing the addon (operator, its CRDs, the Installation) outlasts a join.
    [
      "scripts",
      "prepare",
      "init",
      "kubeconfig",
      "object",
      "addon",
      "operator",
      "object",
      "wait",
      "object",
      "object",
      "app",
      "verify",
    ],
  );
});

test("control planes join one after another, so with three of them their joins are the critical path", async () => {
  const endpoint = { "kubelab:nodes": { controlPlaneEndpoint: "192.168.0.5" }, ...bigNetwork };
  const three = criticalPath((await render({ values: staticValues(spread(3, 2), endpoint) })).run.resources);
  assert.deepEqual(
    three.chain.map((s) => s.split(":")[0]),
    ["scripts", "prepare", "init", "token", "join", "token", "join", "wait", "object", "object", "app", "verify"],
  );
  // Each control plane's token (and certificate upload) waits for the previous control plane's join.
  assert.deepEqual(three.chain.slice(3, 7), [
    "token:cluster-cp-2-join-token",
    "join:cluster-cp-2-join",
    "token:cluster-cp-3-join-token",
    "join:cluster-cp-3-join",
  ]);
});

test("on local nodes from a bundle the chain starts with the machine and the bundle, then flannel", async () => {
  const overrides = fakeBundleOverrides(readStackFile(stackFilePath("e2e")).config);
  const run = await render({ stack: "e2e", overrides });
  const path = criticalPath(run.run.resources, MEASURED_LOCAL_OFFLINE_SECONDS);
  const kinds = path.chain.map((s) => s.split(":")[0]);
  assert.deepEqual(kinds.slice(0, 6), ["machine", "scripts", "prepare", "bundle", "init", "kubeconfig"]);
  assert.ok(kinds.includes("addon") && kinds.at(-1) === "verify", kinds.join(" > "));
  // The same chain weighted by the assumed lab durations is longer: the model is the only difference.
  assert.ok(criticalPath(run.run.resources).seconds > path.seconds);
});
