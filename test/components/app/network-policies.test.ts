import { test } from "node:test";
import assert from "node:assert/strict";
import { buildAppObjects } from "../../../components/app/manifests";
import { K8sObject } from "../../../policy/types";
import { allowedEdges } from "./traffic-graph";

// `*` = from anywhere: every pod and clients outside the cluster (the NodePort frontends).
const TIER_EDGES = [
  "*->result:80",
  "*->vote:80",
  "result->db:5432",
  "vote->redis:6379",
  "worker->db:5432",
  "worker->redis:6379",
];

function policy(objects: K8sObject[], name: string): { spec: { ingress: { from: unknown[] }[] } } {
  const found = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata?.name === name);
  assert.ok(found, `no NetworkPolicy ${name}`);
  return found as unknown as { spec: { ingress: { from: unknown[] }[] } };
}

test("the policies allow exactly the tier edges, and nothing reaches the worker or an undeclared port", () => {
  assert.deepEqual(allowedEdges(buildAppObjects({})), TIER_EDGES);
});

test("the same graph holds with renamed data services and another label prefix", () => {
  const objects = buildAppObjects({
    serviceNames: { redis: "queue", db: "store" },
    images: { vote: "example/vote:1", worker: "example/worker:1", result: "example/result:1" },
    labels: { prefix: "example.com", partOf: "demo" },
  });
  const renamed = TIER_EDGES.map((e) => e.replace("redis:", "queue:").replace("db:", "store:")).sort();
  assert.deepEqual(allowedEdges(objects, "example.com/name"), renamed);
});

test("without policies every pod port is open to everyone (the evaluator is not echoing the expectation)", () => {
  const objects = buildAppObjects({ networkPolicies: false });
  assert.equal(objects.filter((o) => o.kind === "NetworkPolicy").length, 0);
  assert.deepEqual(allowedEdges(objects), [
    "*->db:5432",
    "*->db:9999",
    "*->redis:6379",
    "*->redis:9999",
    "*->result:80",
    "*->result:9999",
    "*->vote:80",
    "*->vote:9999",
    "*->worker:9999",
  ]);
});

test("dropping one source from a policy removes exactly that edge", () => {
  const objects = buildAppObjects({});
  policy(objects, "db-ingress").spec.ingress[0].from.shift();
  assert.deepEqual(
    allowedEdges(objects),
    TIER_EDGES.filter((e) => e !== "worker->db:5432"),
  );
});

test("the default-deny policy selects every pod of the namespace for ingress and nothing else", () => {
  const objects = buildAppObjects({});
  const deny = objects.find((o) => o.metadata?.name === "default-deny-ingress");
  assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ["Ingress"] });
  assert.equal(deny?.metadata?.namespace, "vote");
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  for (const p of policies) {
    assert.deepEqual(
      (p.spec as { policyTypes: string[] }).policyTypes,
      ["Ingress"],
      `${p.metadata?.name} leaves egress open`,
    );
  }
});
