// HA clusters: the addon's agents reach the API server at the cluster's endpoint (VIP or load
// balancer), not through the `kubernetes` Service that can point at a dead control plane.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { calicoServicesEndpoint, flannelAgentTransform } from "../../../components/network/agent-endpoint";
import { addonRelease } from "../../../components/network/values";
import { render, resource } from "../../mocks";

const ENDPOINT = { host: "172.31.245.254", port: 6443 };

function daemonSet(containers: { name: string; env?: { name: string; value?: string }[] }[]) {
  return { metadata: { name: "kube-flannel-ds" }, spec: { template: { spec: { containers } } } };
}

function transformed(type: string, props: Record<string, unknown>) {
  const args = { type, name: "network-flannel:kube-flannel/kube-flannel-ds", props, opts: {}, custom: true };
  return flannelAgentTransform(ENDPOINT)(args as unknown as pulumi.ResourceTransformArgs) as
    { props: ReturnType<typeof daemonSet> } | undefined;
}

test("flannel's agent container gets the endpoint's address in place of the Service's; its own env stays", () => {
  const props = daemonSet([
    { name: "kube-flannel", env: [{ name: "POD_NAME" }, { name: "KUBERNETES_SERVICE_HOST", value: "10.96.0.1" }] },
    { name: "kube-network-policies" },
  ]);
  const result = transformed("kubernetes:apps/v1:DaemonSet", props);
  const [agent, other] = result?.props.spec.template.spec.containers ?? [];
  assert.deepEqual(agent.env, [
    { name: "POD_NAME" },
    { name: "KUBERNETES_SERVICE_HOST", value: "172.31.245.254" },
    { name: "KUBERNETES_SERVICE_PORT", value: "6443" },
  ]);
  assert.equal(other.env, undefined);
});

test("every other resource of the chart passes unchanged", () => {
  assert.equal(transformed("kubernetes:core/v1:ConfigMap", { data: {} }), undefined);
  assert.equal(transformed("kubernetes:apps/v1:DaemonSet", daemonSet([{ name: "other-agent" }])), undefined);
});

test("Calico's operator gets the endpoint in the ConfigMap it reads in its own namespace", () => {
  assert.deepEqual(calicoServicesEndpoint(ENDPOINT, "tigera-operator"), {
    metadata: { name: "kubernetes-services-endpoint", namespace: "tigera-operator" },
    data: { KUBERNETES_SERVICE_HOST: "172.31.245.254", KUBERNETES_SERVICE_PORT: "6443" },
  });
});

test("Cilium's agents dial the endpoint with agentsUseEndpoint, without kube-proxy replacement's NodePort binding", () => {
  const values = addonRelease({
    cni: "cilium",
    podCidr: "10.244.0.0/16",
    nodeCidr: "192.168.56.0/24",
    serviceCidr: "10.96.0.0/12",
    kubeProxyReplacement: false,
    chartVersion: "1.19.5",
    apiServerHost: "192.168.56.100",
    agentsUseEndpoint: true,
  }).values;
  assert.equal(values.k8sServiceHost, "192.168.56.100");
  assert.equal(values.k8sServicePort, 6443);
  assert.equal(values.nodePort, undefined);
});

test("the ha stack (Calico, three control planes) creates the operator's endpoint ConfigMap before the chart", async () => {
  const run = await render({ stack: "ha" });
  const configMap = resource(run, "network-services-endpoint");
  assert.deepEqual(configMap.inputs.data, {
    KUBERNETES_SERVICE_HOST: "192.168.56.100",
    KUBERNETES_SERVICE_PORT: "6443",
  });
  assert.ok(resource(run, "network-calico").dependsOn.includes("network-services-endpoint"));
});

test("one control plane keeps the Service: no endpoint ConfigMap", async () => {
  const run = await render({ stack: "lab" });
  assert.equal(
    run.run.resources.find((r) => r.name === "network-services-endpoint"),
    undefined,
  );
});
