// The whole lab in data-flow order (DESIGN §2): nodes -> kubeadm cluster -> pod network -> app ->
// network check. index.ts calls this with the validated config and exports what it returns.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig, networkPlan } from "../config";
import { assertNoPolicyErrors, checkObjects } from "../policy";
import { appUrls } from "./app/app-urls";
import { AppArgs, buildAppObjects } from "./app/manifests";
import { SampleApp } from "./app/sample-app";
import { API_SERVER_PORT, parseEndpoint } from "./cluster/endpoint";
import { KubeadmCluster } from "./cluster/kubeadm-cluster";
import { PodNetwork, checkedRelease } from "./network/pod-network";
import { appImages, kubeVipImage, probeImage } from "../lib/offline-bundle";
import { DEFAULT_KUBE_VIP_IMAGE } from "./cluster/kube-vip";
import { labNode } from "./nodes/lab-node";
import { LocalNodes } from "./nodes/local";
import { MultipassNodes } from "./nodes/multipass";
import { staticNodes } from "./nodes/static";
import { LabNode } from "./types";
import { NetworkCheck } from "./verify/network-check";

export interface LabOutputs {
  kubeconfig: pulumi.Output<string>;
  controlPlaneEndpoint: pulumi.Output<string>;
  nodes: pulumi.Output<{ name: string; role: string; address: string }[]>;
  [key: string]: unknown;
}

/** Machine containers on this host: the same SSH-driven nodes as any other source. */
function localNodes(config: LabConfig): LabNode[] {
  const local = new LocalNodes("nodes", {
    nodes: config.nodes.specs.map(({ name, role }) => ({ name, role })),
    nodeCidr: config.network.nodeCidr,
    ...config.nodes.local,
    sshUser: config.ssh.user,
    publicKey: config.ssh.publicKey,
    stack: pulumi.getStack(),
  });
  return config.nodes.specs.map((spec, i) => {
    const node = local.nodes[i];
    return labNode(config, spec, { address: node.address, readyAfter: [node.resource], hostKey: node.hostKey });
  });
}

function provisionNodes(config: LabConfig): LabNode[] {
  switch (config.nodes.provider) {
    case "static":
      return staticNodes(config);
    case "local":
      return localNodes(config);
    case "multipass":
      return new MultipassNodes("nodes", { config }).nodes;
  }
}

function appArgs(config: LabConfig, enforcesNetworkPolicy: boolean): AppArgs {
  const { namespace, voteNodePort, resultNodePort, networkPolicies } = config.app;
  return {
    namespace,
    voteNodePort,
    resultNodePort,
    networkPolicies: networkPolicies && enforcesNetworkPolicy,
    images: config.offline ? appImages(config.offline.manifest) : undefined,
  };
}

/** Findings that do not stop the run: logged, and exported as the stack output `warnings`. */
function warningsOf(config: LabConfig): string[] {
  const warnings = [...config.warnings];
  if (config.nodes.provider === "local")
    warnings.push(
      "local nodes run cgroup v1 (the host offers no other): kubelet runs with failCgroupV1: false and kubeadm's " +
        "SystemVerification preflight is skipped; Kubernetes deprecates cgroup v1, so use a cgroup v2 host for anything but a lab",
    );
  for (const warning of warnings) pulumi.log.warn(warning);
  return warnings;
}

/** The policy gate: the plan and every object kubelab will create, before anything is registered. */
function planAndCheck(config: LabConfig, apiServerPort: number) {
  const release = checkedRelease({
    network: config.network,
    apiServer: { host: "api-server", port: apiServerPort },
    offline: config.offline,
  });
  const plan = { ...networkPlan(config), cniPoolCidrs: release.poolCidrs };
  const app = config.app.enabled ? appArgs(config, release.cni !== "flannel") : undefined;
  const objects = (app ? buildAppObjects(app) : []).map((object) => ({ object }));
  assertNoPolicyErrors(objects, plan);
  return { app, findings: checkObjects(objects, plan) };
}

export function deployLab(config: LabConfig): LabOutputs {
  const apiServerPort = config.nodes.controlPlaneEndpoint
    ? parseEndpoint(config.nodes.controlPlaneEndpoint).port
    : API_SERVER_PORT;
  const gate = planAndCheck(config, apiServerPort);
  const warnings = warningsOf(config);

  const nodes = provisionNodes(config);
  const cluster = new KubeadmCluster("cluster", {
    config,
    nodes,
    skipKubeProxy: config.network.cni === "cilium" && config.network.kubeProxyReplacement,
    machineContainers: config.nodes.provider === "local",
    vip: config.nodes.vip
      ? {
          address: config.nodes.vip,
          image: config.offline ? kubeVipImage(config.offline.manifest) : DEFAULT_KUBE_VIP_IMAGE,
        }
      : undefined,
  });
  const network = new PodNetwork(
    "network",
    {
      network: config.network,
      kubeconfig: cluster.kubeconfig,
      apiServer: { host: cluster.endpoint.apply((e) => e.host), port: apiServerPort },
      agentsUseEndpoint: nodes.filter((n) => n.role === "control-plane").length > 1,
      controlPlane: cluster.firstControlPlane,
      nodeNames: nodes.map((n) => n.name),
      joins: cluster.joins,
      deletedWith: cluster.init,
      offline: config.offline,
    },
    { dependsOn: [cluster.init] },
  );
  const app = gate.app
    ? new SampleApp(
        "app",
        { app: gate.app, provider: network.provider, deletedWith: cluster.init },
        { dependsOn: [network.ready] },
      )
    : undefined;
  const addresses = pulumi.all(nodes.map((n) => n.address));
  const check = config.verify.enabled
    ? new NetworkCheck(
        "verify",
        {
          controlPlane: cluster.firstControlPlane,
          nodes: nodes.map((n) => ({ name: n.name, address: n.address })),
          services: app?.clusterServices ?? [],
          nodePorts: app?.frontends ?? [],
          podCidr: config.network.podCidr,
          serviceCidr: config.network.serviceCidr,
          mode: config.verify.mode,
          cni: config.network.cni,
          probeImage: config.offline ? probeImage(config.offline.manifest) : undefined,
          deletedWith: cluster.init,
        },
        { dependsOn: [app ?? network.ready, ...cluster.joins] },
      )
    : undefined;

  return {
    kubeconfig: cluster.kubeconfig,
    controlPlaneEndpoint: cluster.endpoint.apply((e) => `${e.host}:${e.port}`),
    nodes: pulumi.all(nodes.map((n) => n.address.apply((address) => ({ name: n.name, role: n.role, address })))),
    appUrls: app ? addresses.apply((list) => appUrls(list, app.frontends)) : {},
    podNetwork: { cni: network.release.cni, chart: network.release.chart, version: network.release.version },
    policyFindings: gate.findings,
    networkReport: check?.report,
    networkCheck: check?.settings,
    networkTopology: check?.topology,
    warnings,
  };
}
