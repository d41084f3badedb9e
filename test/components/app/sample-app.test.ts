import { test } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppArgs, buildAppObjects } from "../../../components/app/manifests";
import { SampleApp } from "../../../components/app/sample-app";
import {
  RecordedResource,
  isSecretValue,
  redactSecrets,
  revealSecrets,
  runProgram,
} from "../../../cli/render/mock-runtime";

const TYPES: Record<string, string> = {
  Namespace: "kubernetes:core/v1:Namespace",
  Secret: "kubernetes:core/v1:Secret",
  Deployment: "kubernetes:apps/v1:Deployment",
  Service: "kubernetes:core/v1:Service",
  NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

interface Run {
  resources: RecordedResource[];
  /** Provider reference (`urn::id`) each resource was registered with, by name. */
  providers: Map<string, string>;
  app: SampleApp;
}

/** Stands in for the pod network's readiness resource the caller passes as dependsOn. */
class PodNetworkReady extends pulumi.CustomResource {
  constructor(name: string) {
    super("kubelab:test:Ready", name, {});
  }
}

/** runProgram records no provider, so the test reads it from the register requests itself. */
function recordProviders(providers: Map<string, string>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: { getName(): string; getProvider(): string }, cb: unknown) => void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    providers.set(req.getName(), req.getProvider());
    register(req, cb);
  };
}

async function deploy(app: AppArgs = {}): Promise<Run> {
  const providers = new Map<string, string>();
  let sample: SampleApp | undefined;
  const run = await runProgram(
    () => {
      recordProviders(providers);
      const provider = new k8s.Provider("lab-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
      const ready = new PodNetworkReady("pod-network-ready");
      sample = new SampleApp("app", { app, provider }, { dependsOn: [ready] });
      return {};
    },
    { config: {} },
  );
  assert.ok(sample);
  return { resources: run.resources, providers, app: sample };
}

const byName = (run: Run, name: string) => {
  const found = run.resources.find((r) => r.name === name);
  assert.ok(found, `no resource ${name}; have ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
};

test("every object becomes a typed resource named <component>-<kind>-<name>, child of the component, on the provider", async () => {
  const run = await deploy();
  const objects = buildAppObjects({});
  assert.deepEqual(run.app.objects, objects);
  const component = byName(run, "app");
  assert.equal(component.type, "kubelab:app:SampleApp");
  for (const object of objects) {
    const resource = byName(run, `app-${object.kind?.toLowerCase()}-${object.metadata?.name}`);
    assert.equal(resource.type, TYPES[object.kind ?? ""], resource.name);
    assert.equal(resource.parent, "app", resource.name);
    assert.match(run.providers.get(resource.name) ?? "", /::lab-k8s::lab-k8s-id$/, `${resource.name} provider`);
    assert.deepEqual(redactSecrets(resource.inputs.metadata), object.metadata, resource.name);
  }
  const children = run.resources.filter((r) => r.parent === "app");
  assert.equal(children.length, objects.length);
});

test("the Secret's data is a secret input; the Deployments reference it instead of copying it", async () => {
  const run = await deploy();
  const secret = byName(run, "app-secret-db-credentials");
  assert.ok(isSecretValue(secret.inputs.stringData), "stringData must be a secret input");
  assert.deepEqual(revealSecrets(secret.inputs.stringData), { username: "postgres", password: "postgres" });
  // Consumers reference the Secret; the credential never appears as a literal env value elsewhere.
  const others = JSON.stringify(run.resources.filter((r) => r !== secret).map((r) => revealSecrets(r.inputs)));
  assert.ok(!others.includes('"value":"postgres"'), "an env value holds the credential");
  assert.ok(others.includes('"secretKeyRef":{"key":"password","name":"db-credentials"}'));
});

test("Service selectors match their Deployment's pod template labels", async () => {
  const run = await deploy();
  const deployments = run.resources.filter((r) => r.type === TYPES.Deployment);
  for (const service of run.resources.filter((r) => r.type === TYPES.Service)) {
    const selector = (service.inputs.spec as { selector: Record<string, string> }).selector;
    const matches = deployments.filter((d) => {
      const labels = (d.inputs.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
        .labels;
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    assert.deepEqual(
      matches.map((d) => d.name),
      [service.name.replace("-service-", "-deployment-")],
      service.name,
    );
  }
});

test("the namespace waits for the pod network; Deployments wait for the Secret and the policies", async () => {
  const run = await deploy();
  assert.deepEqual(byName(run, "app-namespace-vote").dependsOn, ["lab-k8s", "pod-network-ready"]);
  const policies = run.resources.filter((r) => r.type === TYPES.NetworkPolicy).map((r) => r.name);
  for (const d of run.resources.filter((r) => r.type === TYPES.Deployment)) {
    for (const dep of ["app-namespace-vote", "app-secret-db-credentials", ...policies]) {
      assert.ok(d.dependsOn.includes(dep), `${d.name} waits for ${dep}`);
    }
  }
  for (const s of run.resources.filter((r) => r.type === TYPES.Service)) {
    assert.deepEqual(s.dependsOn, ["app-namespace-vote", "lab-k8s"], s.name);
  }
});

test("frontends and clusterServices describe the Services; no policy resource without networkPolicies", async () => {
  const run = await deploy({ networkPolicies: false, namespace: "lab" });
  assert.deepEqual(run.app.frontends, [
    { name: "vote", namespace: "lab", nodePort: 30004 },
    { name: "result", namespace: "lab", nodePort: 30005 },
  ]);
  assert.deepEqual(run.app.clusterServices, [
    { name: "redis", namespace: "lab", port: 6379 },
    { name: "db", namespace: "lab", port: 5432 },
  ]);
  assert.equal(run.resources.filter((r) => r.type === TYPES.NetworkPolicy).length, 0);
});
