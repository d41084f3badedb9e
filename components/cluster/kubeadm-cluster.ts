// kubeadm on LabNodes: prepare every node in parallel, init the first control plane, mint a fresh
// join token per node set, join control planes one at a time and workers in parallel, read the
// admin kubeconfig. Teardown drains and resets nodes; the VMs underneath go last.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabConfig } from "../../config";
import { nodeStep } from "../remote";
import { LabNode } from "../types";
import { Endpoint, clusterEndpoint, formatEndpoint, withServer } from "./endpoint";
import { initConfigYaml, joinConfigYaml, parseJoinToken, parseKubeadmVersion } from "./kubeadm-config";

export interface KubeadmClusterArgs {
  config: LabConfig;
  /** Control planes first; the first one runs `kubeadm init`. */
  nodes: LabNode[];
  /** Cilium's kube-proxy replacement: kubeadm must not install kube-proxy. @default false */
  skipKubeProxy?: boolean;
}

export class KubeadmCluster extends pulumi.ComponentResource {
  /** Secret: the admin kubeconfig, server set to the control-plane endpoint. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<Endpoint>;
  public readonly firstControlPlane: LabNode;
  public readonly init: command.remote.Command;
  /** Every `kubeadm join`, control planes and workers. */
  public readonly joins: command.remote.Command[];

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubelab:cluster:KubeadmCluster", name, {}, opts);
    const { config, nodes } = args;
    const controlPlanes = nodes.filter((n) => n.role === "control-plane");
    const workers = nodes.filter((n) => n.role === "worker");
    const [first] = controlPlanes;
    this.firstControlPlane = first;
    this.endpoint = clusterEndpoint(config.nodes.controlPlaneEndpoint, first.address);
    const step = (suffix: string) => `${name}-${suffix}`;

    const prepares = new Map(
      nodes.map((node) => [
        node.name,
        nodeStep(
          step(`${node.name}-prepare`),
          {
            node,
            script: "prepare",
            env: {
              NODE_NAME: node.name,
              NODE_IP: node.address,
              KUBERNETES_MINOR: config.kubernetesMinor,
              KUBERNETES_PACKAGE_VERSION:
                config.kubernetesVersion === config.kubernetesMinor ? "" : config.kubernetesVersion,
            },
          },
          { parent: this },
        ),
      ]),
    );

    // With only a minor configured, the control plane runs exactly the kubeadm that prepare installed.
    const version =
      config.kubernetesVersion === config.kubernetesMinor
        ? (prepares.get(first.name) as command.remote.Command).stdout.apply(parseKubeadmVersion)
        : pulumi.output(`v${config.kubernetesVersion}`);
    const initConfig = pulumi
      .all([first.address, this.endpoint, version, pulumi.all(controlPlanes.map((n) => n.address))])
      .apply(([address, endpoint, kubernetesVersion, controlPlaneAddresses]) =>
        initConfigYaml({
          nodeName: first.name,
          advertiseAddress: address,
          kubernetesVersion,
          controlPlaneEndpoint: formatEndpoint(endpoint),
          podSubnet: config.network.podCidr,
          serviceSubnet: config.network.serviceCidr,
          dnsDomain: config.network.dnsDomain,
          controlPlaneAddresses,
          skipKubeProxy: args.skipKubeProxy ?? false,
        }),
      );
    this.init = nodeStep(
      step(`${first.name}-init`),
      {
        node: first,
        script: "init",
        env: { NODE_NAME: first.name, UPLOAD_CERTS: String(controlPlanes.length > 1), KUBEADM_CONFIG: initConfig },
        deleteScript: { script: "reset" },
      },
      { parent: this, dependsOn: [...prepares.values()] },
    );

    const token = nodeStep(
      step("join-token"),
      {
        node: first,
        script: "join-token",
        env: { CONTROL_PLANE_JOIN: String(controlPlanes.length > 1) },
        secretOutput: true,
        // A fresh token (and certificate key) whenever the set of nodes changes.
        triggers: [
          nodes
            .map((n) => `${n.name}:${n.role}`)
            .sort()
            .join(","),
        ],
      },
      { parent: this, dependsOn: [this.init] },
    );
    const joinSecrets = pulumi.secret(token.stdout.apply(parseJoinToken));

    const joinNode = (node: LabNode, dependsOn: pulumi.Resource[]) => {
      const controlPlane = node.role === "control-plane";
      const joinConfig = pulumi.all([joinSecrets, node.address, this.endpoint]).apply(([secrets, address, endpoint]) =>
        joinConfigYaml({
          nodeName: node.name,
          nodeAddress: address,
          apiServerEndpoint: formatEndpoint(endpoint),
          token: secrets.token,
          caCertHash: secrets.caCertHash,
          controlPlane: controlPlane ? { certificateKey: secrets.certificateKey } : undefined,
        }),
      );
      const join = nodeStep(
        step(`${node.name}-join`),
        {
          node,
          script: "join",
          env: { NODE_NAME: node.name },
          stdin: pulumi.secret(joinConfig),
          deleteScript: { script: "reset" },
        },
        // A later token rotation must not re-join (or reset) a node that is already in the cluster.
        {
          parent: this,
          dependsOn: [prepares.get(node.name) as command.remote.Command, token, ...dependsOn],
          ignoreChanges: ["stdin"],
        },
      );
      // Seen from a control plane: the Node object exists after the join; on removal it is drained
      // and deleted there before the node itself is reset (deletes run in reverse order).
      nodeStep(
        step(`${node.name}-registered`),
        {
          node,
          via: first,
          script: "node-registered",
          step: `registered-${node.name}`,
          env: { NODE_NAME: node.name, TIMEOUT_SECONDS: "300" },
          deleteScript: { script: "remove-node", env: { NODE_NAME: node.name } },
        },
        { parent: this, dependsOn: [join] },
      );
      return join;
    };

    const controlPlaneJoins: command.remote.Command[] = [];
    for (const node of controlPlanes.slice(1)) {
      // Stacked etcd grows one member at a time: each control plane waits for the previous one.
      controlPlaneJoins.push(joinNode(node, controlPlaneJoins.slice(-1)));
    }
    const workerJoins = workers.map((node) => joinNode(node, []));
    this.joins = [...controlPlaneJoins, ...workerJoins];

    const kubeconfigStep = nodeStep(
      step("kubeconfig"),
      { node: first, script: "kubeconfig", secretOutput: true },
      { parent: this, dependsOn: [this.init] },
    );
    this.kubeconfig = pulumi.secret(
      pulumi.all([kubeconfigStep.stdout, this.endpoint]).apply(([text, endpoint]) => withServer(text, endpoint)),
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig, endpoint: this.endpoint });
  }
}
