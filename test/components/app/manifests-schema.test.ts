// Every app object against the Kubernetes OpenAPI schema, through kubernetes-models.
// kubernetes-models 4.5.x ships the schemas of Kubernetes v1.33.0 (its CHANGELOG: 4.5.0 "Update
// schema version to v1.33.0"); the lab runs 1.36. The five kinds used here are GA and unchanged in
// shape since long before 1.33. Version 5.x carries v1.36.0 but is ESM-only and needs Node 22.
// The schemas leave additionalProperties open, so misspelt fields are caught by the builders' types
// (kubernetes-models interfaces), not here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { buildAppObjects } from "../../../components/app/manifests";
import { K8sObject } from "../../../policy/types";

interface Validatable {
  validate(): void;
}
type ModelClass = { apiVersion: string; kind: string; new (data: never): Validatable };

const MODELS: ModelClass[] = [Namespace, Secret, Service, Deployment, NetworkPolicy];

function modelFor(object: K8sObject): ModelClass {
  const model = MODELS.find((m) => m.apiVersion === object.apiVersion && m.kind === object.kind);
  assert.ok(model, `no model for ${object.apiVersion}/${object.kind}`);
  return model;
}

function validate(object: K8sObject): void {
  const Model = modelFor(object);
  new Model(object as never).validate();
}

const variants = {
  defaults: {},
  "no network policies": { networkPolicies: false },
  "renamed services and custom images": {
    namespace: "lab-app",
    serviceNames: { redis: "queue", db: "store" },
    images: { vote: "example/vote:1.0", worker: "example/worker:1.0", result: "example/result:1.0" },
    labels: { prefix: "example.com", partOf: "demo" },
  },
};

for (const [variant, args] of Object.entries(variants)) {
  test(`every object validates against the Kubernetes v1.33 schema (${variant})`, () => {
    const objects = buildAppObjects(args);
    assert.ok(objects.length >= 10);
    for (const object of objects) {
      assert.doesNotThrow(() => validate(object), `${object.kind}/${object.metadata?.name}`);
    }
  });
}

test("the schema check rejects a malformed object, so the passes above mean something", () => {
  const service = buildAppObjects({}).find((o) => o.kind === "Service") as K8sObject;
  const spec = service.spec as { ports: { port: unknown }[] };
  spec.ports[0].port = "eighty";
  assert.throws(() => validate(service), /port must be integer/);
  const deployment = buildAppObjects({}).find((o) => o.kind === "Deployment") as K8sObject;
  delete (deployment.spec as Record<string, unknown>).selector;
  assert.throws(() => validate(deployment), /selector/);
});

test("each object maps to a model of exactly its apiVersion and kind", () => {
  const kinds = new Set(buildAppObjects({}).map((o) => `${o.apiVersion}/${o.kind}`));
  assert.deepEqual([...kinds].sort(), [
    "apps/v1/Deployment",
    "networking.k8s.io/v1/NetworkPolicy",
    "v1/Namespace",
    "v1/Secret",
    "v1/Service",
  ]);
});
