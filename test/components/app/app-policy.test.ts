import { test } from "node:test";
import assert from "node:assert/strict";
import { buildAppObjects } from "../../../components/app/manifests";
import { NetworkPlan, SourcedObject, checkObjects } from "../../../policy/index";
import { K8sObject } from "../../../policy/types";

const PLAN: NetworkPlan = { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", cni: "calico" };

const sourced = (objects: K8sObject[]): SourcedObject[] => objects.map((object) => ({ object }));

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(found, `no ${kind}/${name}`);
  return found;
}

type Env = { name: string; value?: string }[];
const containerOf = (d: K8sObject) =>
  (d.spec as { template: { spec: { containers: { env: Env }[] } } }).template.spec.containers[0];

for (const [variant, args] of Object.entries({ defaults: {}, "no network policies": { networkPolicies: false } })) {
  test(`the policy rules report no error on the app (${variant})`, () => {
    const errors = checkObjects(sourced(buildAppObjects(args)), PLAN).filter((v) => v.severity === "error");
    assert.deepEqual(errors, []);
  });
}

test("the only warnings are the ones the stock images force: root users, and no probe on the worker", () => {
  const warnings = checkObjects(sourced(buildAppObjects({})), PLAN).filter((v) => v.severity === "warning");
  assert.deepEqual(warnings.map((v) => `${v.rule} ${v.resource}`).sort(), [
    "missing-probes Deployment/vote/worker",
    "runs-as-root Deployment/vote/result",
    "runs-as-root Deployment/vote/vote",
    "runs-as-root Deployment/vote/worker",
  ]);
});

test("breaking a selector, a targetPort name and an env host fires the matching rules", () => {
  const objects = buildAppObjects({});
  const redis = find(objects, "Service", "redis").spec as { selector: Record<string, string> };
  redis.selector["app.kubernetes.io/name"] = "rediss";
  const db = find(objects, "Service", "db").spec as { ports: { targetPort: string }[] };
  db.ports[0].targetPort = "postgresql";
  const voteEnv = containerOf(find(objects, "Deployment", "vote")).env;
  const redisHost = voteEnv.find((e) => e.name === "REDIS_HOST");
  assert.ok(redisHost);
  redisHost.value = "10.244.1.7";

  const errors = checkObjects(sourced(objects), PLAN).filter((v) => v.severity === "error");
  assert.deepEqual(errors.map((v) => `${v.rule} ${v.resource}`).sort(), [
    "hardcoded-ip Deployment/vote/vote",
    "service-no-endpoints Service/vote/redis",
    "target-port-unresolved Service/vote/db",
  ]);
  assert.match(errors.find((v) => v.rule === "hardcoded-ip")?.message ?? "", /10\.244\.1\.7/);
  assert.match(errors.find((v) => v.rule === "target-port-unresolved")?.message ?? "", /postgresql/);
});

test("with Flannel the policies are flagged as unenforced, so the caller must pass networkPolicies: false", () => {
  const flannel: NetworkPlan = { ...PLAN, cni: "flannel" };
  const rules = (args: { networkPolicies?: boolean }) =>
    checkObjects(sourced(buildAppObjects(args)), flannel)
      .filter((v) => v.severity === "error")
      .map((v) => v.rule);
  assert.ok(rules({}).includes("networkpolicy-unenforced"));
  assert.deepEqual(rules({ networkPolicies: false }), []);
});
