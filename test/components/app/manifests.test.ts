import { test } from "node:test";
import assert from "node:assert/strict";
import { AppArgsError, buildAppObjects, clusterServicesOf, frontendsOf } from "../../../components/app/manifests";
import { K8sObject } from "../../../policy/types";

interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  readinessProbe?: Record<string, { port?: unknown }>;
  livenessProbe?: Record<string, { port?: unknown }>;
  securityContext: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  securityContext: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (d: K8sObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const container = (objects: K8sObject[], name: string) => {
  const d = byKind(objects, "Deployment").find((o) => o.metadata?.name === name);
  assert.ok(d, `no Deployment ${name}`);
  return podSpec(d).containers[0];
};
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));

test("five Deployments; NodePort vote/result, ClusterIP redis/db, no Service for the worker", () => {
  const objects = buildAppObjects({});
  assert.deepEqual(
    byKind(objects, "Deployment").map((d) => d.metadata?.name),
    ["vote", "redis", "worker", "db", "result"],
  );
  assert.deepEqual(frontendsOf(objects), [
    { name: "vote", namespace: "vote", nodePort: 30004 },
    { name: "result", namespace: "vote", nodePort: 30005 },
  ]);
  assert.deepEqual(clusterServicesOf(objects), [
    { name: "redis", namespace: "vote", port: 6379 },
    { name: "db", namespace: "vote", port: 5432 },
  ]);
  for (const o of objects.filter((x) => x.kind !== "Namespace")) assert.equal(o.metadata?.namespace, "vote");
});

test("every object carries name and part-of; every tier object its tier", () => {
  for (const o of buildAppObjects({})) {
    const labels = o.metadata?.labels ?? {};
    assert.ok(labels["app.kubernetes.io/name"], `${o.kind}/${o.metadata?.name}`);
    assert.equal(labels["app.kubernetes.io/part-of"], "voting-app");
    if (o.kind === "Deployment" || o.kind === "Service") assert.match(labels.tier, /^(frontend|backend|data)$/);
  }
  const tiers = Object.fromEntries(
    byKind(buildAppObjects({}), "Deployment").map((d) => [d.metadata?.name, d.metadata?.labels?.tier]),
  );
  assert.deepEqual(tiers, { vote: "frontend", redis: "data", worker: "backend", db: "data", result: "frontend" });
});

test("the namespace enforces baseline and warns/audits restricted", () => {
  const labels = byKind(buildAppObjects({}), "Namespace")[0].metadata?.labels ?? {};
  assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
  assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
  assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
});

test("credentials come from the Secret by reference; no env value holds them", () => {
  const objects = buildAppObjects({});
  const [secret] = byKind(objects, "Secret");
  assert.deepEqual(secret.stringData, { username: "postgres", password: "postgres" });
  for (const name of ["worker", "db", "result"]) {
    const env = envOf(container(objects, name));
    assert.deepEqual(env.POSTGRES_PASSWORD.valueFrom?.secretKeyRef, { name: "db-credentials", key: "password" }, name);
    assert.deepEqual(env.POSTGRES_USER.valueFrom?.secretKeyRef, { name: "db-credentials", key: "username" }, name);
  }
  for (const d of byKind(objects, "Deployment")) {
    for (const e of podSpec(d).containers.flatMap((c) => c.env ?? [])) assert.notEqual(e.value, "postgres", e.name);
  }
});

test("service names reach the tiers through env, and follow serviceNames", () => {
  const stock = buildAppObjects({});
  assert.equal(envOf(container(stock, "vote")).REDIS_HOST.value, "redis");
  assert.equal(envOf(container(stock, "worker")).POSTGRES_HOST.value, "db");
  const custom = buildAppObjects({
    serviceNames: { redis: "queue", db: "store" },
    images: { vote: "example/vote:1", worker: "example/worker:1", result: "example/result:1" },
  });
  assert.equal(envOf(container(custom, "vote")).REDIS_HOST.value, "queue");
  assert.equal(envOf(container(custom, "worker")).REDIS_HOST.value, "queue");
  assert.equal(envOf(container(custom, "worker")).POSTGRES_HOST.value, "store");
  assert.equal(envOf(container(custom, "result")).POSTGRES_HOST.value, "store");
  assert.deepEqual(
    clusterServicesOf(custom).map((s) => s.name),
    ["queue", "store"],
  );
});

test("targetPorts and probes name declared container ports; every container has requests and limits", () => {
  const objects = buildAppObjects({});
  for (const svc of byKind(objects, "Service")) {
    const c = container(objects, svc.metadata?.name ?? "");
    const names = (c.ports ?? []).map((p) => p.name);
    for (const p of (svc.spec as { ports: { targetPort: unknown }[] }).ports)
      assert.ok(names.includes(p.targetPort as string));
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      const action = Object.values(probe ?? {}).find((v) => typeof v === "object" && v && "port" in v);
      assert.ok(action && names.includes(action.port as string), `${c.name} probe`);
    }
  }
  for (const d of byKind(objects, "Deployment")) {
    const { requests, limits } = podSpec(d).containers[0].resources;
    assert.ok(requests.cpu && requests.memory && limits.cpu && limits.memory, d.metadata?.name);
  }
});

test("images are pinned; containers drop ALL, never escalate, use RuntimeDefault; data tiers run non-root", () => {
  const objects = buildAppObjects({});
  for (const d of byKind(objects, "Deployment")) {
    const spec = podSpec(d);
    const c = spec.containers[0];
    assert.match(c.image, /@sha256:[0-9a-f]{64}$|:\d+\.\d+(\.\d+)?-bookworm$/, c.image);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities?.drop, ["ALL"]);
    assert.equal(spec.securityContext.seccompProfile?.type, "RuntimeDefault");
    assert.equal(spec.securityContext.runAsNonRoot, d.metadata?.labels?.tier === "data" ? true : undefined);
  }
});

test("invalid arguments are reported together, each with its value", () => {
  assert.throws(
    () =>
      buildAppObjects({
        namespace: "Vote_App",
        voteNodePort: 30004,
        resultNodePort: 30004,
        serviceNames: { redis: "queue" },
      }),
    (error: unknown) => {
      assert.ok(error instanceof AppArgsError);
      assert.equal(error.problems.length, 4, error.message);
      assert.match(error.message, /namespace: "Vote_App" is not an RFC 1123 label/);
      assert.match(error.message, /both 30004/);
      assert.match(error.message, /serviceNames.redis: "queue" needs images.vote to read the host/);
      assert.match(error.message, /serviceNames.redis: "queue" needs images.worker to read the host/);
      return true;
    },
  );
});
