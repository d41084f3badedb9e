import { test } from "node:test";
import assert from "node:assert/strict";
import { OBJECT_RULES, checkObjects } from "../../policy";
import { matchesLabelSelector, resourceOf } from "../../policy/k8s";
import { WORKLOAD_KINDS, podTemplateOf } from "../../policy/pod-templates";
import { ipv4Literals } from "../../policy/rules/hardcoded-ip";
import { imagePinned } from "../../policy/rules/containers";
import { kubernetesType } from "../../policy/pack/validate";
import { obj } from "./fixtures";

const container = { name: "app", image: "app:1.0", ports: [{ name: "http", containerPort: 8080 }] };
const podSpec = { containers: [container] };
const template = { metadata: { labels: { app: "web" } }, spec: podSpec };

/** A fresh object every call, so tests may edit it. */
function workload(kind: string, namespace = "vote"): Record<string, unknown> {
  return structuredClone(sharedWorkload(kind, namespace));
}

function sharedWorkload(kind: string, namespace: string): Record<string, unknown> {
  const metadata = { name: kind.toLowerCase(), namespace, labels: { app: "web" } };
  const apiVersion =
    { Pod: "v1", ReplicationController: "v1", Job: "batch/v1", CronJob: "batch/v1" }[kind] ?? "apps/v1";
  if (kind === "Pod") return { apiVersion, kind, metadata, spec: podSpec };
  if (kind === "CronJob") return { apiVersion, kind, metadata, spec: { jobTemplate: { spec: { template } } } };
  return { apiVersion, kind, metadata, spec: { selector: { matchLabels: { app: "web" } }, template } };
}

function service(spec: Record<string, unknown>, name = "web", namespace = "vote"): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec };
}

const rulesOf = (rule: string, objects: Record<string, unknown>[], plan = {}) =>
  OBJECT_RULES[rule](
    objects.map((o) => obj(o)),
    plan,
  );

test("pod templates come from every workload kind, with the owner as resource", () => {
  for (const kind of WORKLOAD_KINDS) {
    const t = podTemplateOf(obj(workload(kind)));
    assert.ok(t, kind);
    assert.equal(t.resource, `${kind}/vote/${kind.toLowerCase()}`);
    assert.deepEqual(t.labels, { app: "web" });
    assert.equal(t.containers[0].ports[0].name, "http");
  }
  assert.equal(podTemplateOf(obj({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })), undefined);
});

test("a Service selects pod templates of every workload kind", () => {
  for (const kind of WORKLOAD_KINDS) {
    const svc = service({ selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] });
    assert.deepEqual(rulesOf("service-no-endpoints", [workload(kind), svc]), [], kind);
    assert.deepEqual(rulesOf("target-port-unresolved", [workload(kind), svc]), [], kind);
  }
});

test("resource is Kind/namespace/name with the namespace defaulting to default", () => {
  assert.equal(resourceOf({ kind: "Service", metadata: { name: "web" } }), "Service/default/web");
  assert.equal(resourceOf({ kind: "Service", metadata: { name: "web", namespace: "vote" } }), "Service/vote/web");
  assert.equal(resourceOf({ kind: "Namespace", metadata: { name: "vote" } }), "Namespace/vote/vote");
});

test("selector matching is within the namespace: same labels elsewhere do not count", () => {
  const found = rulesOf("service-no-endpoints", [
    workload("Deployment", "other"),
    service({ selector: { app: "web" }, ports: [{ port: 8080 }] }),
  ]);
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, "error");
  assert.match(found[0].message, /Deployment\/other\/deployment matches but a Service only selects pods in its own/);
});

test("a Service without selector is a warning unless ExternalName or given Endpoints/EndpointSlice", () => {
  const bare = rulesOf("service-no-endpoints", [service({ ports: [{ port: 80 }] })]);
  assert.deepEqual(
    bare.map((v) => [v.severity, v.resource]),
    [["warning", "Service/vote/web"]],
  );
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc", namespace: "vote", labels: { "kubernetes.io/service-name": "web" } },
  };
  assert.deepEqual(rulesOf("service-no-endpoints", [service({ ports: [{ port: 80 }] }), slice]), []);
  const sliceElsewhere = { ...slice, metadata: { ...slice.metadata, namespace: "other" } };
  assert.equal(rulesOf("service-no-endpoints", [service({ ports: [{ port: 80 }] }), sliceElsewhere]).length, 1);
  assert.deepEqual(rulesOf("service-no-endpoints", [service({ type: "ExternalName", externalName: "x.io" })]), []);
});

test("an omitted targetPort means the port number", () => {
  const found = rulesOf("target-port-unresolved", [
    workload("Deployment"),
    service({ selector: { app: "web" }, ports: [{ port: 80 }] }),
  ]);
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, "warning");
  assert.match(found[0].message, /targetPort is omitted, so it equals port/);
  const ok = rulesOf("target-port-unresolved", [
    workload("Deployment"),
    service({ selector: { app: "web" }, ports: [{ port: 8080 }] }),
  ]);
  assert.deepEqual(ok, []);
});

test("a named targetPort must be declared by every selected template (error); numeric by any (warning)", () => {
  const other = workload("Pod");
  (other.spec as { containers: unknown[] }).containers = [
    { name: "app", image: "app:1.0", ports: [{ containerPort: 8080 }] },
  ];
  const named = rulesOf("target-port-unresolved", [
    workload("Deployment"),
    other,
    service({ selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] }),
  ]);
  assert.deepEqual(
    named.map((v) => v.severity),
    ["error"],
  );
  assert.match(named[0].message, /Pod\/vote\/pod declares no containerPort named "http"/);
  const numeric = rulesOf("target-port-unresolved", [
    workload("Deployment"),
    other,
    service({ selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] }),
  ]);
  assert.deepEqual(numeric, []);
});

test("nodePort checks use the plan's range and look across every Service", () => {
  const nodePort = (name: string, namespace: string, port: number) =>
    service({ type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, nodePort: port }] }, name, namespace);
  const objects = [nodePort("a", "one", 31000), nodePort("b", "two", 31000)];
  assert.deepEqual(rulesOf("nodeport-range", objects), []);
  const narrow = rulesOf("nodeport-range", objects, { nodePortRange: { low: 30000, high: 30999 } });
  assert.deepEqual(
    narrow.map((v) => v.resource),
    ["Service/one/a", "Service/two/b"],
  );
  assert.match(narrow[0].message, /outside the node port range 30000-30999/);
  const duplicate = rulesOf("nodeport-duplicate", objects);
  assert.deepEqual(
    duplicate.map((v) => v.resource),
    ["Service/two/b"],
  );
  assert.match(duplicate[0].message, /claimed by Service\/one\/a and Service\/two\/b/);
});

test("backend-exposed trusts the tier label over the image when the label is present", () => {
  const redis = workload("Deployment");
  const spec = (
    redis.spec as {
      template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
    }
  ).template;
  spec.spec = { containers: [{ ...container, image: "redis:7.2" }] } as never;
  const svc = service({ type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] });
  assert.equal(rulesOf("backend-exposed", [redis, svc]).length, 1);
  spec.metadata = { labels: { app: "web", tier: "frontend" } };
  assert.deepEqual(rulesOf("backend-exposed", [redis, svc]), []);
});

test("hardcoded-ip finds IPv4 literals but not loopback, 0.0.0.0, CIDRs or longer dotted numbers", () => {
  assert.deepEqual(ipv4Literals("http://10.0.0.5:8080/x and 192.168.1.1"), ["10.0.0.5", "192.168.1.1"]);
  assert.deepEqual(ipv4Literals("10.0.0.0/8 1.2.3.4.5 999.1.1.1"), []);
  const app = workload("Deployment");
  const c = (app.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
  c.containers = [
    { ...container, env: [{ name: "A", value: "127.0.0.1" }], args: ["--bind=0.0.0.0"], command: ["run", "10.1.2.3"] },
  ];
  const found = rulesOf("hardcoded-ip", [app]);
  assert.equal(found.length, 1);
  assert.match(found[0].message, /command "10.1.2.3" hardcodes the address 10.1.2.3/);
});

test("hardcoded-ip names the Service that owns a ClusterIP or selects a pod IP", () => {
  const app = workload("Deployment");
  const c = (app.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
  c.containers = [
    {
      ...container,
      env: [
        { name: "DB", value: "10.244.3.9" },
        { name: "CACHE", value: "10.96.0.40" },
      ],
    },
  ];
  const db = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "db-0", namespace: "vote", labels: { app: "db" } },
    spec: podSpec,
    status: { podIP: "10.244.3.9" },
  };
  const objects = [
    app,
    db,
    service({ selector: { app: "db" }, ports: [{ port: 5432 }] }, "db"),
    service({ clusterIP: "10.96.0.40", selector: { app: "x" }, ports: [{ port: 6379 }] }, "cache"),
  ];
  const found = rulesOf("hardcoded-ip", objects, { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" });
  assert.equal(found.length, 2);
  assert.match(found[0].message, /pod CIDR 10.244.0.0\/16.*use the service name db.vote.svc.cluster.local/);
  assert.match(found[1].message, /service CIDR 10.96.0.0\/12.*use the service name cache.vote.svc.cluster.local/);
});

test("label selectors honour matchExpressions and refuse an empty selector", () => {
  const labels = { app: "web", tier: "frontend" };
  assert.equal(matchesLabelSelector(labels, { matchLabels: { app: "web" } }), true);
  assert.equal(
    matchesLabelSelector(labels, { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["data"] }] }),
    true,
  );
  assert.equal(matchesLabelSelector(labels, { matchExpressions: [{ key: "canary", operator: "Exists" }] }), false);
  assert.equal(matchesLabelSelector(labels, {}), false);
});

test("image references are pinned by tag or digest, not by a registry port", () => {
  assert.equal(imagePinned("redis:7.2"), true);
  assert.equal(imagePinned("ghcr.io/org/app@sha256:abc"), true);
  assert.equal(imagePinned("localhost:5000/app"), false);
  assert.equal(imagePinned("redis:latest"), false);
});

test("checkObjects runs plan rules only for the plan fields given and sorts by file, resource, rule", () => {
  const objects = [
    obj(service({ ports: [{ port: 80 }] }, "b"), "z.yaml"),
    obj(service({ ports: [{ port: 80 }] }, "a"), "z.yaml"),
    obj(
      {
        apiVersion: "vl",
        kind: "Service",
        metadata: { name: "c", namespace: "vote" },
        spec: { ports: [{ port: 80 }] },
      },
      "a.yaml",
    ),
  ];
  const noPlan = checkObjects(objects);
  assert.deepEqual(
    noPlan.map((v) => `${v.file} ${v.resource} ${v.rule}`),
    [
      "a.yaml Service/vote/c api-version",
      "a.yaml Service/vote/c service-no-endpoints",
      "z.yaml Service/vote/a service-no-endpoints",
      "z.yaml Service/vote/b service-no-endpoints",
    ],
  );
  const withPlan = checkObjects(objects, { podCidr: "10.96.0.0/16", serviceCidr: "10.96.0.0/12" });
  assert.deepEqual(withPlan[0], { ...withPlan[0], rule: "cidr-overlap", resource: "NetworkPlan/kubelab/podCidr" });
  assert.equal(withPlan.length, noPlan.length + 1);
});

test("Pulumi Kubernetes types map to apiVersion and kind; components and patches are skipped", () => {
  assert.deepEqual(kubernetesType("kubernetes:core/v1:Service"), { apiVersion: "v1", kind: "Service" });
  assert.deepEqual(kubernetesType("kubernetes:networking.k8s.io/v1:NetworkPolicy"), {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
  });
  assert.equal(kubernetesType("kubernetes:apps/v1:DeploymentPatch"), undefined);
  assert.equal(kubernetesType("kubernetes:yaml/v2:ConfigGroup"), undefined);
  assert.equal(kubernetesType("kubernetes:helm.sh/v3:Release"), undefined);
  assert.equal(kubernetesType("pulumi:providers:kubernetes"), undefined);
});

test("misshapen fields are named with their type, not read as absent", () => {
  const messages = (rule: string, objects: Record<string, unknown>[]) => rulesOf(rule, objects).map((v) => v.message);
  const badSelector = workload("Deployment");
  (badSelector.spec as Record<string, unknown>).selector = "app=web";
  assert.match(
    messages("deployment-selector-mismatch", [badSelector])[0],
    /^spec\.selector is a string \("app=web"\), not a map/,
  );
  assert.match(messages("api-version", [{ apiVersion: "v1", kind: 5 }])[0], /^kind is a number \(5\), not a string/);
  assert.match(messages("api-version", [{ apiVersion: 1, kind: "Service" }])[0], /^apiVersion is a number \(1\)/);
  const probes = workload("Deployment");
  const spec = (probes.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
  Object.assign(spec.containers[0], { readinessProbe: "/healthz", resources: ["cpu"], securityContext: 0 });
  assert.match(messages("missing-probes", [probes])[0], /readinessProbe is a string \("\/healthz"\), not a map/);
  assert.match(messages("missing-resources", [probes])[0], /resources is a list, not a map/);
  assert.match(messages("runs-as-root", [probes])[0], /securityContext is a number \(0\), not a map/);
  const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "vote", labels: "restricted" } };
  assert.match(messages("namespace-pss-missing", [ns])[0], /metadata\.labels is a string \("restricted"\), not a map/);
  const port = service({ selector: { app: "web" }, ports: ["80"] });
  assert.deepEqual(messages("service-port-missing", [port]), [
    'spec.ports[0] is a string ("80"), not a map; each entry of spec.ports is a map such as {port: 80, targetPort: 8080}',
  ]);
});
