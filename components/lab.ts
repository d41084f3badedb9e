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

function provisionNodes(config: LabConfig): LabNode[] {
  return config.nodes.provider === "static" ? staticNodes(config) : new MultipassNodes("nodes", { config }).nodes;
}

function appArgs(config: LabConfig, enforcesNetworkPolicy: boolean): AppArgs {
  const { namespace, voteNodePort, resultNodePort, networkPolicies } = config.app;
  return { namespace, voteNodePort, resultNodePort, networkPolicies: networkPolicies && enforcesNetworkPolicy };
}

/** The policy gate: the plan and every object kubelab will create, before anything is registered. */
function planAndCheck(config: LabConfig, apiServerPort: number) {
  const release = checkedRelease({ network: config.network, apiServer: { host: "api-server", port: apiServerPort } });
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

  const nodes = provisionNodes(config);
  const cluster = new KubeadmCluster("cluster", {
    config,
    nodes,
    skipKubeProxy: config.network.cni === "cilium" && config.network.kubeProxyReplacement,
  });
  const network = new PodNetwork(
    "network",
    {
      network: config.network,
      kubeconfig: cluster.kubeconfig,
      apiServer: { host: cluster.endpoint.apply((e) => e.host), port: apiServerPort },
      controlPlane: cluster.firstControlPlane,
      nodeNames: nodes.map((n) => n.name),
      joins: cluster.joins,
      deletedWith: cluster.init,
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
  };
}
