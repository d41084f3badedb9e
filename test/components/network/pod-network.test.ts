import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabConfig } from "../../../config";
import {
  RecordedResource,
  isSecretValue,
  redactSecrets,
  revealSecrets,
  runProgram,
} from "../../../cli/render/mock-runtime";
import { mockedOutputs } from "../../../components/network/mocked";
import { registerMockedOutputs } from "../../../cli/render/mock-outputs";
import { PodNetwork, checkedRelease } from "../../../components/network/pod-network";
import { LabNode } from "../../../components/types";
import { parse, staticRaw } from "../../helpers";

const KEY = "PRIVATE-KEY-SENTINEL";
const KUBECONFIG = "KUBECONFIG-SENTINEL";

registerMockedOutputs(mockedOutputs);

function networkConfig(network: Record<string, unknown> = {}): LabConfig["network"] {
  // Flannel ignores NetworkPolicies, so config validation wants the app's policies off with it.
  const app = { networkPolicies: network.cni !== "flannel" };
  return parse(staticRaw({ network: { nodeCidr: "192.168.56.0/24", ...network }, app })).network;
}

function fakeNode(name: string, address: string): LabNode {
  return {
    name,
    role: "control-plane",
    address: pulumi.output(address),
    connection: pulumi.secret({ host: address, user: "ubuntu", privateKey: KEY }),
    ssh: { port: 22, user: "ubuntu", privateKey: pulumi.secret(KEY) },
    readyAfter: [],
  };
}

interface Run {
  resources: RecordedResource[];
  /** Provider reference each resource was registered with, by name. */
  providers: Map<string, string | undefined>;
  /** URN of each resource's `deletedWith` option, by name ("" when unset). */
  deletedWith: Map<string, string>;
  /** How many resource transforms each resource was registered with, by name. */
  transforms: Map<string, number>;
  outputs: Record<string, unknown>;
}

/** Records the provider reference the mocks receive for every resource registered after this call. */
function captureProviders(into: Map<string, string | undefined>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: { newResource: Function } };
  const next = monitor.mocks.newResource;
  monitor.mocks.newResource = (args: { name: string; provider?: string }) => {
    into.set(args.name, args.provider);
    return next(args);
  };
}

/** Records the `deletedWith` URN and the transforms of every resource registered after this call. */
function captureDeletedWith(into: Map<string, string>, transforms: Map<string, number>): void {
  type Request = { getName(): string; getDeletedwith(): string; getTransformsList(): unknown[] };
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: Function };
  const next = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: Request, callback: unknown) => {
    into.set(req.getName(), req.getDeletedwith());
    transforms.set(req.getName(), req.getTransformsList().length);
    return next(req, callback);
  };
}

interface DeployOptions {
  /** Pass the init step as `deletedWith`. */
  deletedWithInit?: boolean;
  /** As with more than one control plane. */
  agentsUseEndpoint?: boolean;
}

async function deploy(network = networkConfig(), options: DeployOptions = {}): Promise<Run> {
  const providers = new Map<string, string | undefined>();
  const deletedWith = new Map<string, string>();
  const transforms = new Map<string, number>();
  const run = await runProgram(
    () => {
      captureProviders(providers);
      captureDeletedWith(deletedWith, transforms);
      const cp = fakeNode("cp-1", "192.168.56.10");
      const init = new command.remote.Command("cluster-init", { connection: cp.connection, create: "kubeadm init" });
      const joins = ["worker-1", "worker-2"].map(
        (w) => new command.remote.Command(`cluster-${w}-join`, { connection: cp.connection, create: "kubeadm join" }),
      );
      const pods = new PodNetwork(
        "network",
        {
          network,
          kubeconfig: pulumi.secret(KUBECONFIG),
          apiServer: { host: cp.address, port: 6443 },
          controlPlane: cp,
          nodeNames: ["cp-1", "worker-1", "worker-2"],
          joins,
          deletedWith: options.deletedWithInit ? init : undefined,
          agentsUseEndpoint: options.agentsUseEndpoint,
        },
        { dependsOn: [init] },
      );
      // Stands in for anything that schedules pods.
      new command.remote.Command("app", { connection: cp.connection, create: "true" }, { dependsOn: [pods.ready] });
      return { enforcesNetworkPolicy: pods.enforcesNetworkPolicy, ready: pods.ready.stdout };
    },
    { config: {} },
  );
  return { ...run, providers, deletedWith, transforms };
}

function byName(run: Run, name: string): RecordedResource {
  const found = run.resources.find((r) => r.name === name);
  assert.ok(found, `no resource named ${name}; have ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
}

describe("PodNetwork", () => {
  it("builds a provider from the secret kubeconfig, after kubeadm init", async () => {
    const run = await deploy();
    const provider = byName(run, "network-provider");
    assert.equal(provider.type, "pulumi:providers:kubernetes");
    assert.equal(provider.parent, "network");
    assert.ok(isSecretValue(provider.inputs.kubeconfig), "kubeconfig input must be secret");
    assert.equal(revealSecrets(provider.inputs.kubeconfig), KUBECONFIG);
    assert.ok(provider.dependsOn.includes("cluster-init"));
  });

  it("keeps Kubernetes state on an unreachable cluster: no deleteUnreachable on the provider", async () => {
    const provider = byName(await deploy(), "network-provider");
    assert.equal(provider.inputs.deleteUnreachable, undefined);
    assert.deepEqual(Object.keys(provider.inputs).sort(), ["kubeconfig"]);
  });

  it("installs the addon's chart through that provider, after its namespace", async () => {
    const run = await deploy();
    const chart = byName(run, "network-calico");
    assert.equal(chart.type, "kubernetes:helm.sh/v4:Chart");
    assert.match(String(run.providers.get("network-calico")), /::network-provider::/);
    assert.match(String(run.providers.get("network-namespace")), /::network-provider::/);
    assert.deepEqual(chart.dependsOn, ["network-namespace", "network-provider"]);
    assert.equal(chart.inputs.chart, "tigera-operator");
    assert.deepEqual(chart.inputs.repositoryOpts, { repo: "https://docs.tigera.io/calico/charts" });
    assert.equal(chart.inputs.version, networkConfig().chartVersions.calico);
    assert.equal(chart.inputs.namespace, "tigera-operator");
    // Rendered by the chart, the Installation would lose its finalizer's cleanup (hooks are skipped).
    assert.deepEqual(chart.inputs.values, {
      installation: { enabled: false },
      apiServer: { enabled: false },
      goldmane: { enabled: false },
      whisker: { enabled: false },
    });
  });

  it("creates Calico's Installation after the chart, with the pod CIDR pool and nodeCidr autodetection", async () => {
    const run = await deploy();
    const installation = byName(run, "network-installation");
    assert.equal(installation.type, "kubernetes:operator.tigera.io/v1:Installation");
    assert.equal(installation.parent, "network");
    assert.match(String(run.providers.get("network-installation")), /::network-provider::/);
    assert.deepEqual(installation.dependsOn, ["network-calico", "network-provider", "network-wait-crds"]);
    // The Installation kind exists only once the operator has registered its CRDs: a bounded wait.
    const crds = byName(run, "network-wait-crds");
    assert.deepEqual(crds.dependsOn, ["network-calico"]);
    assert.match(String(crds.inputs.create), / CRD_NAME=installations\.operator\.tigera\.io /);
    assert.equal(installation.inputs.apiVersion, "operator.tigera.io/v1");
    assert.equal(installation.inputs.kind, "Installation");
    assert.deepEqual(installation.inputs.metadata, { name: "default" });
    const network = (installation.inputs.spec as { calicoNetwork: Record<string, unknown> }).calicoNetwork;
    assert.deepEqual(
      (network.ipPools as { cidr: string }[]).map((p) => p.cidr),
      ["10.244.0.0/16"],
    );
    assert.deepEqual(network.nodeAddressAutodetectionV4, { cidrs: ["192.168.56.0/24"] });
  });

  it("creates no Installation for flannel or cilium", async () => {
    for (const cni of ["flannel", "cilium"]) {
      const run = await deploy(networkConfig({ cni }));
      assert.equal(
        run.resources.some((r) => r.name === "network-installation" || r.type.endsWith(":Installation")),
        false,
        cni,
      );
    }
  });

  it("with agentsUseEndpoint, flannel's chart carries the transform that points its agents at the endpoint", async () => {
    const flannel = networkConfig({ cni: "flannel" });
    assert.equal((await deploy(flannel, { agentsUseEndpoint: true })).transforms.get("network-flannel"), 1);
    assert.equal((await deploy(flannel)).transforms.get("network-flannel"), 0);
  });

  it("creates the addon namespace with its Pod Security label", async () => {
    const run = await deploy(networkConfig({ cni: "flannel" }));
    const namespace = byName(run, "network-namespace");
    assert.equal(namespace.type, "kubernetes:core/v1:Namespace");
    assert.deepEqual(namespace.inputs.metadata, {
      name: "kube-flannel",
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    assert.equal(byName(run, "network-flannel").inputs.namespace, "kube-flannel");
  });

  it("installs Cilium into kube-system without creating a namespace, with the API server in its values", async () => {
    const run = await deploy(networkConfig({ cni: "cilium", kubeProxyReplacement: true }));
    assert.equal(
      run.resources.some((r) => r.name === "network-namespace"),
      false,
    );
    const chart = byName(run, "network-cilium");
    assert.deepEqual(chart.dependsOn, ["network-provider"]);
    const values = chart.inputs.values as Record<string, unknown>;
    assert.equal(values.k8sServiceHost, "192.168.56.10");
    assert.equal(values.k8sServicePort, 6443);
    assert.equal(values.kubeProxyReplacement, true);
    assert.deepEqual(values.hubble, { tls: { auto: { method: "cronJob" } } });
    assert.deepEqual(byName(run, "network-wait-ready").dependsOn, [
      "cluster-worker-1-join",
      "cluster-worker-2-join",
      "network-cilium",
    ]);
  });

  it("waits for readiness on the control plane after the chart, the Installation and every join", async () => {
    const run = await deploy();
    const wait = byName(run, "network-wait-ready");
    assert.equal(wait.type, "command:remote:Command");
    assert.equal(wait.parent, "network");
    assert.deepEqual(wait.dependsOn, [
      "cluster-worker-1-join",
      "cluster-worker-2-join",
      "network-calico",
      "network-installation",
    ]);
    const create = String(wait.inputs.create);
    assert.match(create, /EXPECTED_NODES='cp-1 worker-1 worker-2'/);
    assert.match(create, /ADDON_NAMESPACE=calico-system/);
    assert.match(create, /ADDON_SELECTOR=k8s-app\\=calico-node/);
    assert.match(create, /TIMEOUT_SECONDS=600/);
    assert.deepEqual(byName(run, "app").dependsOn, ["network-wait-ready"]);
  });

  it("does not wait on the joins before installing the chart", async () => {
    const run = await deploy();
    for (const name of ["network-provider", "network-namespace", "network-calico", "network-installation"]) {
      assert.equal(
        byName(run, name).dependsOn.some((d) => d.endsWith("-join")),
        false,
        name,
      );
    }
  });

  it("marks every Kubernetes object it creates as deleted with the given resource", async () => {
    for (const cni of ["calico", "flannel", "cilium"]) {
      const run = await deploy(networkConfig({ cni }), { deletedWithInit: true });
      const objects = run.resources.filter((r) => r.parent === "network" && r.type.startsWith("kubernetes:"));
      const expected = {
        calico: ["network-calico", "network-installation", "network-namespace"],
        flannel: ["network-flannel", "network-namespace"],
        cilium: ["network-cilium"],
      }[cni];
      assert.deepEqual(objects.map((r) => r.name).sort(), expected, cni);
      for (const object of objects) {
        assert.match(String(run.deletedWith.get(object.name)), /::cluster-init$/, `${cni}: ${object.name}`);
      }
      // Neither the provider (no objects of its own) nor the node-side wait.
      assert.equal(run.deletedWith.get("network-provider"), "");
      assert.equal(run.deletedWith.get("network-wait-ready"), "");
    }
  });

  it("leaves deletedWith unset when none is given", async () => {
    const run = await deploy();
    for (const name of ["network-namespace", "network-calico", "network-installation"]) {
      assert.equal(run.deletedWith.get(name), "", name);
    }
  });

  it("keeps every secret out of plain-text inputs", async () => {
    const run = await deploy(networkConfig({ cni: "cilium", kubeProxyReplacement: true }));
    for (const resource of run.resources) {
      const plain = JSON.stringify(redactSecrets(resource.inputs));
      assert.equal(plain.includes(KEY), false, `${resource.name} exposes the SSH key`);
      assert.equal(plain.includes(KUBECONFIG), false, `${resource.name} exposes the kubeconfig`);
    }
    assert.ok(isSecretValue(byName(run, "network-wait-ready").inputs.connection));
  });

  it("reports whether NetworkPolicies are enforced and what the wait saw", async () => {
    const calico = await deploy();
    assert.equal(calico.outputs.enforcesNetworkPolicy, true);
    assert.equal(calico.outputs.ready, "all 3 nodes Ready; k8s-app=calico-node pods Ready in calico-system\n");
    const flannel = await deploy(networkConfig({ cni: "flannel" }));
    assert.equal(flannel.outputs.enforcesNetworkPolicy, false);
  });

  it("refuses a plan its pool collides with before registering anything", async () => {
    const network = { ...networkConfig(), podCidr: "10.244.0.0/16", nodeCidr: "10.244.1.0/24" };
    assert.throws(
      () => checkedRelease({ network, apiServer: { host: "10.244.1.10", port: 6443 } }),
      /\[cidr-overlap\] nodeCidr 10\.244\.1\.0\/24 overlaps podCidr 10\.244\.0\.0\/16/,
    );
    const run = await runProgram(
      () => {
        const cp = fakeNode("cp-1", "10.244.1.10");
        const args = { network, kubeconfig: pulumi.secret(KUBECONFIG), apiServer: { host: cp.address, port: 6443 } };
        try {
          new PodNetwork("network", { ...args, controlPlane: cp, nodeNames: ["cp-1"], joins: [] });
        } catch (error) {
          return { error: (error as Error).message };
        }
        return {};
      },
      { config: {} },
    );
    assert.match(String(run.outputs.error), /\[cidr-overlap\]/);
    assert.deepEqual(
      run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.name),
      [],
    );
  });
});
