import { test } from "node:test";
import assert from "node:assert/strict";
import { isSecretValue, revealSecrets } from "../../../cli/render/mock-runtime";
import { commandEnv } from "../../../cli/render/files";
import { hosts, named, render, resource, staticValues, transitiveDeps } from "../../mocks";

test("every prepare runs before init; init before every token step", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const init = resource(run, "cluster-cp-1-init");
  for (const node of ["cp-1", "worker-1", "worker-2"])
    assert.ok(init.dependsOn.includes(`cluster-${node}-prepare`), node);
  for (const node of ["worker-1", "worker-2"])
    assert.ok(resource(run, `cluster-${node}-join-token`).dependsOn.includes("cluster-cp-1-init"), node);
});

test("worker joins depend only on their own token and prepare, so they run in parallel", async () => {
  const run = await render({ values: staticValues(hosts(1, 3)) });
  for (const worker of ["worker-1", "worker-2", "worker-3"]) {
    const join = resource(run, `cluster-${worker}-join`);
    assert.deepEqual(join.dependsOn, [
      `cluster-${worker}-join-token`,
      `cluster-${worker}-prepare`,
      `scripts-${worker}`,
    ]);
    const upstream = transitiveDeps(run, join.name);
    for (const other of named(run, /-join$/)) assert.ok(!upstream.has(other.name), `${worker} waits for ${other.name}`);
  }
});

test("control planes join one at a time", async () => {
  const run = await render({
    values: staticValues(hosts(3, 1), { "kubelab:nodes": { controlPlaneEndpoint: "192.168.56.100" } }),
  });
  assert.ok(resource(run, "cluster-cp-3-join").dependsOn.includes("cluster-cp-2-join"));
  assert.ok(!transitiveDeps(run, "cluster-cp-2-join").has("cluster-cp-3-join"));
  assert.ok(
    !transitiveDeps(run, "cluster-worker-1-join").has("cluster-cp-2-join"),
    "workers do not wait for control planes",
  );
});

test("init uploads certificates only with more than one control plane; only control planes' tokens carry a key", async () => {
  const single = await render({ values: staticValues(hosts(1, 1)) });
  // init.sh refuses a later change of the count (or version, or endpoint) on the live cluster.
  assert.match(String(resource(single, "cluster-cp-1-init").inputs.create), / UPLOAD_CERTS=false CONTROL_PLANES=1 /);
  const ha = await render({
    values: staticValues(hosts(3, 1), { "kubelab:nodes": { controlPlaneEndpoint: "api.lab:6443" } }),
  });
  assert.match(String(resource(ha, "cluster-cp-1-init").inputs.create), / UPLOAD_CERTS=true CONTROL_PLANES=3 /);
  assert.match(String(resource(ha, "cluster-cp-2-join-token").inputs.create), / CONTROL_PLANE_JOIN=true /);
  assert.match(String(resource(ha, "cluster-worker-1-join-token").inputs.create), / CONTROL_PLANE_JOIN=false /);
});

test("each node's token is minted on the first control plane right before its join, once", async () => {
  const run = await render({
    values: staticValues(hosts(3, 1), { "kubelab:nodes": { controlPlaneEndpoint: "api.lab:6443" } }),
  });
  const token = resource(run, "cluster-cp-3-join-token");
  assert.match(String(token.inputs.create), /^# kubelab step: node=cp-1 step=join-token-cp-3\n/);
  // Its certificate upload replaces the previous key: cp-2 must have joined with it first.
  assert.ok(token.dependsOn.includes("cluster-cp-2-join"), token.dependsOn.join(", "));
  assert.equal(token.inputs.triggers, undefined, "nothing but the node itself makes a new token");
  assert.equal(token.inputs.logging, "none");
  assert.equal(token.inputs.addPreviousOutputInEnv, false);
  const join = resource(run, "cluster-cp-3-join");
  assert.ok(isSecretValue(join.inputs.stdin), "join config travels as a secret on stdin");
  assert.match(String(revealSecrets(join.inputs.stdin)), /^# kubelab token expires: \d+\napiVersion: kubeadm/);
  // Where the fix is, should the token expire before a retried join.
  assert.equal(
    commandEnv(String(join.inputs.create)).TOKEN_STEP,
    "urn:pulumi:test::kubelab::kubelab:cluster:KubeadmCluster$command:remote:Command::cluster-cp-3-join-token",
  );
});

test("removing a node drains it from a control plane before resetting it", async () => {
  const run = await render({ values: staticValues(hosts(1, 1)) });
  const drain = resource(run, "cluster-worker-1-registered-teardown");
  const reset = resource(run, "cluster-worker-1-join-teardown");
  // Deletes run in reverse dependency order: the drain (which depends on the reset) goes first.
  assert.ok(drain.dependsOn.includes("cluster-worker-1-join-teardown"));
  assert.ok(drain.dependsOn.includes("cluster-worker-1-registered"));
  assert.equal(drain.deletedWith, "cluster-cp-1-init", "no drain when the whole cluster goes");
  assert.match(String(drain.inputs.delete), /^# kubelab step: node=cp-1 step=registered-worker-1-delete\n/);
  assert.match(String(drain.inputs.delete), / KUBELAB_HOST=192\.168\.56\.10 .* remove-node\.sh NODE_NAME=worker-1$/);
  assert.match(String(reset.inputs.delete), / KUBELAB_HOST=192\.168\.56\.100 .* run-over-ssh\.sh reset\.sh$/);
  // The first control plane is reset last: every other teardown needs it.
  assert.ok(reset.dependsOn.includes("cluster-cp-1-init-teardown"));
  assert.match(String(resource(run, "cluster-cp-1-init-teardown").inputs.delete), /run-over-ssh\.sh reset\.sh$/);
});

test("teardown runs from this machine and no remote step has a delete, so a vanished node cannot stall destroy", async () => {
  const run = await render({
    values: staticValues(hosts(3, 2), { "kubelab:nodes": { controlPlaneEndpoint: "192.168.56.100" } }),
  });
  for (const r of run.run.resources.filter((res) => res.type === "command:remote:Command"))
    assert.equal(r.inputs.delete, undefined, r.name);
  const teardowns = named(run, /-teardown$/);
  assert.deepEqual(
    teardowns.map((t) => t.name).sort(),
    [
      "cluster-cp-1-init-teardown",
      ...["cp-2", "cp-3", "worker-1", "worker-2"].flatMap((n) => [
        `cluster-${n}-join-teardown`,
        `cluster-${n}-registered-teardown`,
      ]),
    ].sort(),
  );
  for (const t of teardowns) {
    assert.equal(t.type, "command:local:Command", t.name);
    assert.equal(t.inputs.create, undefined, t.name);
    assert.equal(t.deleteBeforeReplace, true, t.name);
    assert.ok(isSecretValue(t.inputs.environment), `${t.name}: environment (key, scripts) is secret`);
    const of = t.name.replace(/-teardown$/, "");
    assert.deepEqual(t.inputs.triggers, [`${of}-id`], `${t.name} is replaced (deleted first) with its step`);
    assert.equal(resource(run, of).deleteBeforeReplace, true, of);
  }
});

test("the kubeconfig output is secret and points at the control-plane endpoint", async () => {
  const run = await render({
    values: staticValues(hosts(3, 0), { "kubelab:nodes": { controlPlaneEndpoint: "192.168.56.100" } }),
  });
  const kubeconfig = run.run.outputs.kubeconfig;
  assert.ok(isSecretValue(kubeconfig));
  assert.match(String(kubeconfig.value), /server: https:\/\/192\.168\.56\.100:6443/);
  assert.equal(run.run.outputs.controlPlaneEndpoint, "192.168.56.100:6443");
});

test("replacing init or a join resets the node first, never after the new run", async () => {
  const run = await render({ values: staticValues(hosts(1, 1)) });
  assert.equal(resource(run, "cluster-cp-1-init").deleteBeforeReplace, true);
  assert.equal(resource(run, "cluster-worker-1-join").deleteBeforeReplace, true);
});
