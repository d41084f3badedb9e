// The whole program's graph: what waits for what across components (DESIGN §2).
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { hosts, named, render, resource, staticValues, transitiveDeps } from "../mocks";

const joins = (run: Awaited<ReturnType<typeof render>>) => named(run, /^cluster-.*-join$/).map((r) => r.name);

test("the Ready wait depends on the addon and on every join", async () => {
  const run = await render({ values: staticValues(hosts(1, 3)) });
  const wait = transitiveDeps(run, "network-wait-ready");
  assert.ok(wait.has("network-calico"));
  for (const join of joins(run)) assert.ok(wait.has(join), join);
});

test("everything that schedules pods depends on the Ready wait", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const schedulers = run.run.resources.filter((r) => /:(Deployment|StatefulSet|DaemonSet|Pod|Job)$/.test(r.type));
  assert.ok(schedulers.length >= 5);
  for (const r of [...schedulers, resource(run, "verify-collect")]) {
    assert.ok(transitiveDeps(run, r.name).has("network-wait-ready"), `${r.name} can start before nodes are Ready`);
  }
});

test("the chart is installed after init, not after the joins: workers join in parallel with the install", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const chart = transitiveDeps(run, "network-calico");
  assert.ok(chart.has("cluster-cp-1-init"));
  for (const join of joins(run)) assert.ok(!chart.has(join), join);
});

test("the network check depends on the app and on every join, and cleans up its probes on destroy", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const check = resource(run, "verify-collect");
  const upstream = transitiveDeps(run, check.name);
  for (const join of joins(run)) assert.ok(upstream.has(join), join);
  for (const r of named(run, /^app-deployment-/)) assert.ok(upstream.has(r.name), `waits for ${r.name}`);
  assert.match(String(check.inputs.delete), /network-check-cleanup|kubelab-netcheck/);
});

test("with the app off, the network check follows the pod network instead", async () => {
  const run = await render({ values: staticValues(hosts(1, 2), { "kubelab:app": { enabled: false } }) });
  assert.equal(named(run, /^app/).length, 0);
  assert.ok(transitiveDeps(run, "verify-collect").has("network-wait-ready"));
  assert.deepEqual(run.run.outputs.appUrls, {});
});

test("Cilium with kube-proxy replacement skips kube-proxy in kubeadm and points Cilium at the API server", async () => {
  const run = await render({
    values: staticValues(hosts(1, 2), { "kubelab:network": { cni: "cilium", kubeProxyReplacement: true } }),
  });
  const init = YAML.parseAllDocuments(run.files.get("kubeadm/init.yaml") as string).map((d) => d.toJSON());
  assert.deepEqual(init[0].skipPhases, ["addon/kube-proxy"]);
  const values = YAML.parse((run.files.get("values/network-cilium.yaml") as string).split("\n").slice(1).join("\n"));
  assert.equal(values.k8sServiceHost, "192.168.56.10");
  assert.equal(values.k8sServicePort, 6443);
  assert.equal(values.kubeProxyReplacement, true);
});

test("flannel turns the app's NetworkPolicies off rather than deploying policies nobody enforces", async () => {
  const run = await render({
    values: staticValues(hosts(1, 2), {
      "kubelab:network": { cni: "flannel" },
      "kubelab:app": { networkPolicies: false },
    }),
  });
  assert.equal(run.run.resources.filter((r) => r.type.endsWith(":NetworkPolicy")).length, 0);
});

test("appUrls lists every frontend on every node address", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const urls = run.run.outputs.appUrls as Record<string, string[]>;
  assert.deepEqual(Object.keys(urls).sort(), ["result", "vote"]);
  assert.deepEqual(urls.vote, [
    "http://192.168.56.10:30004",
    "http://192.168.56.100:30004",
    "http://192.168.56.101:30004",
  ]);
});

test("on a full destroy the app's and the network's objects and the check's probes leave with the cluster", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const k8sObjects = named(run, /^(app|network)-/).filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  assert.ok(k8sObjects.length > 5);
  for (const r of [...k8sObjects, resource(run, "verify-collect")]) {
    assert.equal(r.deletedWith, "cluster-cp-1-init", r.name);
  }
  // The drains and resets themselves do run: nodes are left clean.
  assert.equal(resource(run, "cluster-worker-1-join").deletedWith, undefined);
  assert.equal(resource(run, "cluster-worker-1-registered").deletedWith, undefined);
});

test("the warnings output is always a list, empty when nothing warrants a warning", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  assert.deepEqual(run.run.outputs.warnings, []);
});
