// The stored commands of the local steps, run the way @pulumi/command's local provider runs them
// (`/bin/sh -c TEXT`, this process's environment plus the step's `environment`), against nodes
// whose SSH port is closed: a node that is gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { revealSecrets } from "../../cli/render/mock-runtime";
import { render, resource, staticValues } from "../mocks";

const GONE = staticValues(
  [
    { name: "cp-1", address: "127.0.0.10", role: "control-plane", port: 1 } as never,
    { name: "worker-1", address: "127.0.0.11", role: "worker", port: 1 } as never,
  ],
  { "kubelab:network": { nodeCidr: "127.0.0.0/24" } },
);

function runStored(commandText: string, environment: unknown) {
  const env = { ...process.env, ...(revealSecrets(environment) as Record<string, string>) };
  return spawnSync("/bin/sh", ["-c", commandText], { env, encoding: "utf8", timeout: 60_000 });
}

test("every teardown of a node that is gone skips it with a message naming node and step, and succeeds", async () => {
  const run = await render({ values: GONE });
  const expected: Record<string, string> = {
    "cluster-cp-1-init-teardown": "kubelab: cp-1 unreachable, skipped init-delete",
    "cluster-worker-1-join-teardown": "kubelab: worker-1 unreachable, skipped join-delete",
    "cluster-worker-1-registered-teardown": "kubelab: cp-1 unreachable, skipped registered-worker-1-delete",
    "verify-collect": "kubelab: cp-1 unreachable, skipped network-check-delete",
  };
  for (const [name, message] of Object.entries(expected)) {
    const step = resource(run, name);
    const result = runStored(String(step.inputs.delete), step.inputs.environment);
    assert.equal(result.status, 0, `${name}: ${result.stderr}`);
    assert.match(
      result.stdout,
      new RegExp(`^${message} \\(ssh: connect to host 127\\.0\\.0\\.1[01] port 1: Connection refused\\)\\n$`),
    );
  }
});

test("the network check step of a cluster that cannot be reached fails, saying where it tried", async () => {
  const run = await render({ values: GONE });
  const collect = resource(run, "verify-collect");
  const result = runStored(String(collect.inputs.create), collect.inputs.environment);
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /kubelab: cp-1 unreachable \(127\.0\.0\.10:1\): ssh: connect to host 127\.0\.0\.10 port 1: Connection refused/,
  );
  assert.match(result.stderr, /network check: could not reach cp-1 over SSH/);
});
