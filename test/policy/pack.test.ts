import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PackConfig,
  PolicyResourceLike,
  StackArgsLike,
  objectsFromResources,
  validateKubernetesStack,
} from "../../policy/pack/validate";

/** What @pulumi/policy hands a stack policy: resources with type, props, urn and name, plus config. */
function stackArgs(resources: PolicyResourceLike[], config: PackConfig = {}): StackArgsLike {
  return { resources, getConfig: <T extends object>() => config as T };
}

function resource(type: string, name: string, props: Record<string, unknown>): PolicyResourceLike {
  return { type, name, props, urn: `urn:pulumi:lab::kubelab::${type}::${name}` };
}

function run(args: StackArgsLike, severity: "error" | "warning") {
  const reports: { message: string; urn?: string }[] = [];
  validateKubernetesStack(args, severity, (message, urn) => reports.push({ message, urn }));
  return reports;
}

const deployment = resource("kubernetes:apps/v1:Deployment", "vote", {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "vote-1a2b", namespace: "vote" },
  spec: {
    selector: { matchLabels: { app: "vote" } },
    template: {
      metadata: { labels: { app: "vote" } },
      spec: { containers: [{ name: "vote", image: "vote", ports: [{ name: "http", containerPort: 80 }] }] },
    },
  },
});

const nodePortService = (name: string, nodePort: number) =>
  resource("kubernetes:core/v1:Service", name, {
    metadata: { namespace: "vote" },
    spec: { type: "NodePort", selector: { app: "vote" }, ports: [{ port: 80, targetPort: "http", nodePort }] },
  });

test("error findings are reported on the URN of the resource they concern", () => {
  const args = stackArgs([deployment, nodePortService("vote", 30004), nodePortService("result", 30004)]);
  const reports = run(args, "error");
  assert.deepEqual(reports, [
    {
      message:
        "[nodeport-duplicate] Service/vote/result: nodePort 30004 is claimed by Service/vote/vote and " +
        "Service/vote/result; every node listens once per port, so give each a distinct nodePort",
      urn: "urn:pulumi:lab::kubelab::kubernetes:core/v1:Service::result",
    },
  ]);
});

test("the warning policy reports only warnings, e.g. the unpinned image of the Deployment", () => {
  const reports = run(stackArgs([deployment, nodePortService("vote", 30004)]), "warning");
  assert.ok(reports.length > 0);
  assert.ok(reports.every((r) => !r.message.startsWith("[nodeport")));
  const image = reports.find((r) => r.message.startsWith("[image-unpinned]"));
  assert.equal(image?.urn, deployment.urn);
  assert.match(image?.message ?? "", /^\[image-unpinned\] Deployment\/vote\/vote-1a2b: container "vote"/);
});

test("policy config carries the network plan; plan findings are reported on the stack", () => {
  const netpol = resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", {
    metadata: { name: "deny", namespace: "vote" },
    spec: { podSelector: {} },
  });
  const reports = run(
    stackArgs([netpol], {
      cni: "flannel",
      podCidr: "10.96.0.0/16",
      serviceCidr: "10.96.0.0/12",
      nodePortRange: "oops",
    }),
    "error",
  );
  assert.deepEqual(
    reports.map((r) => [r.message.split(":")[0], r.urn]),
    [
      ['policy config nodePortRange "oops" is not LOW-HIGH, e.g. 30000-32767', undefined],
      ["[cidr-overlap] NetworkPlan/kubelab/podCidr", undefined],
      ["[networkpolicy-unenforced] NetworkPolicy/vote/deny", netpol.urn],
    ],
  );
});

test("non-Kubernetes resources and Kubernetes components are ignored; missing names fall back to the resource name", () => {
  const converted = objectsFromResources([
    resource("aws:s3/bucket:Bucket", "b", { bucket: "x" }),
    resource("kubernetes:yaml/v2:ConfigGroup", "g", { resources: [] }),
    resource("kubernetes:core/v1:ConfigMap", "settings", { metadata: { namespace: "vote" }, data: {} }),
  ]);
  assert.deepEqual(
    converted.objects.map((o) => o.object),
    [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "vote" }, data: {} }],
  );
  assert.equal(
    converted.urns.get("ConfigMap/vote/settings"),
    "urn:pulumi:lab::kubelab::kubernetes:core/v1:ConfigMap::settings",
  );
});

test("values unknown during preview are skipped instead of failing the policy, and their findings wait", () => {
  class UnknownValueError extends Error {}
  const unknownAt = (target: Record<string, unknown>, key: string) =>
    new Proxy(target, {
      get: (o, p) => {
        if (p === key) throw new UnknownValueError(`string value at .${key} can't be known during preview`);
        return o[p as string];
      },
    });
  const svc = resource("kubernetes:core/v1:Service", "pending", {
    metadata: unknownAt({ name: "pending", namespace: "vote" }, "namespace"),
    spec: { selector: { app: "nothing" }, ports: [{ port: 80 }] },
  });
  const converted = objectsFromResources([svc]);
  assert.deepEqual(converted.objects[0].object.metadata, { name: "pending" });
  assert.deepEqual([...converted.incomplete], ["Service/default/pending"]);
  assert.deepEqual(run(stackArgs([svc]), "error"), []);
});

test("objects with no values yet (a preview before the cluster exists) are not reported", () => {
  const unknownService = resource("kubernetes:core/v1:Service", "db", {});
  for (const severity of ["error", "warning"] as const) {
    assert.deepEqual(
      run(stackArgs([deployment, unknownService]), severity).filter((r) => r.urn === unknownService.urn),
      [],
    );
  }
  assert.deepEqual([...objectsFromResources([unknownService]).incomplete], ["Service/default/db"]);
});
