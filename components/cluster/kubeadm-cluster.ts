// kubeadm on LabNodes: prepare every node in parallel, init the first control plane, mint a fresh
// join token per node set, join control planes one at a time and workers in parallel, read the
// admin kubeconfig. Teardown drains and resets nodes; the VMs underneath go last.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabConfig } from "../../config";
import { nodeStep } from "../remote";
import { SshTarget } from "../ssh/over-ssh";
import { teardownStep } from "../teardown";
import { LabNode } from "../types";
import { Endpoint, clusterEndpoint, formatEndpoint, withServer } from "./endpoint";
import { initConfigYaml, joinConfigYaml, parseJoinToken, parseKubeadmVersion } from "./kubeadm-config";
import { PreparedNode, prepareNode } from "./prepare-node";
import { kubeVipManifestYaml } from "./kube-vip";
import { kubeadmClusterSettings } from "../../lib/offline-bundle";

export interface KubeadmClusterArgs {
  config: LabConfig;
  /** Control planes first; the first one runs `kubeadm init`. */
  nodes: LabNode[];
  /** Cilium's kube-proxy replacement: kubeadm must not install kube-proxy. @default false */
  skipKubeProxy?: boolean;
  /** Nodes are machine containers on a cgroup v1 host (local nodes). @default false */
  machineContainers?: boolean;
  /** kube-vip holds this VIP (the control-plane endpoint) on one control plane at a time. */
  vip?: { address: string; image: string };
}

type Command = command.remote.Command;

const sshTarget = (node: LabNode): SshTarget => ({ node: node.name, address: node.address, ssh: node.ssh });

export class KubeadmCluster extends pulumi.ComponentResource {
  /** Secret: the admin kubeconfig, server set to the control-plane endpoint. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<Endpoint>;
  public readonly firstControlPlane: LabNode;
  public readonly init: Command;
  /** Every `kubeadm join`, control planes and workers. */
  public readonly joins: Command[];

  private readonly name: string;
  private readonly config: LabConfig;
  private readonly machineContainers: boolean;
  /** VIP and KUBE_VIP_MANIFEST for init.sh and control-plane joins; empty without a VIP. */
  private readonly vipEnv: Record<string, string>;
  /** Resets the first control plane: after every other node's teardown, which needs it. */
  private initTeardown?: command.local.Command;

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubelab:cluster:KubeadmCluster", name, {}, opts);
    this.name = name;
    this.config = args.config;
    this.machineContainers = args.machineContainers ?? false;
    this.vipEnv = args.vip
      ? {
          VIP: args.vip.address,
          KUBE_VIP_MANIFEST: kubeVipManifestYaml({ address: args.vip.address, image: args.vip.image }),
        }
      : {};
    const controlPlanes = args.nodes.filter((n) => n.role === "control-plane");
    const workers = args.nodes.filter((n) => n.role === "worker");
    this.firstControlPlane = controlPlanes[0];
    this.endpoint = clusterEndpoint(this.config.nodes.controlPlaneEndpoint, this.firstControlPlane.address);

    const prepares = new Map(args.nodes.map((node) => [node.name, this.prepare(node)]));
    this.init = this.initFirst(controlPlanes, prepares, args.skipKubeProxy ?? false);
    const ready = (node: LabNode) => (prepares.get(node.name) as PreparedNode).ready;
    const controlPlaneJoins: Command[] = [];
    for (const node of controlPlanes.slice(1)) {
      // Stacked etcd grows one member at a time: each control plane waits for the previous one, and
      // so does its token step, whose certificate upload would otherwise replace the previous key.
      controlPlaneJoins.push(this.join(node, ready(node), controlPlaneJoins.slice(-1)));
    }
    const workerJoins = workers.map((node) => this.join(node, ready(node), []));
    this.joins = [...controlPlaneJoins, ...workerJoins];
    this.kubeconfig = this.readKubeconfig();
    this.registerOutputs({ kubeconfig: this.kubeconfig, endpoint: this.endpoint });
  }

  private step(suffix: string): string {
    return `${this.name}-${suffix}`;
  }

  private prepare(node: LabNode): PreparedNode {
    const { kubernetesVersion, kubernetesMinor, offline } = this.config;
    return prepareNode(
      this.step(node.name),
      { node, kubernetesVersion, kubernetesMinor, offline, machineContainers: this.machineContainers },
      { parent: this },
    );
  }

  private initFirst(controlPlanes: LabNode[], prepares: Map<string, PreparedNode>, skipKubeProxy: boolean): Command {
    const { config } = this;
    const first = this.firstControlPlane;
    // With only a minor configured, the control plane runs exactly the kubeadm that prepare installed.
    const version =
      config.kubernetesVersion === config.kubernetesMinor
        ? (prepares.get(first.name) as PreparedNode).prepare.stdout.apply(parseKubeadmVersion)
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
          skipKubeProxy,
          machineContainers: this.machineContainers,
          cluster: config.offline ? kubeadmClusterSettings(config.offline.manifest) : undefined,
        }),
      );
    const init = nodeStep(
      this.step(`${first.name}-init`),
      {
        node: first,
        script: "init",
        env: {
          NODE_NAME: first.name,
          UPLOAD_CERTS: String(controlPlanes.length > 1),
          // A change of these on a live cluster is refused on the node (init.sh), naming the fix.
          CONTROL_PLANES: String(controlPlanes.length),
          KUBEADM_CONFIG: initConfig,
          ...this.vipEnv,
        },
      },
      // Replacing the step must reset before init runs again, never after (which would undo it).
      { parent: this, dependsOn: [...prepares.values()].map((p) => p.ready), deleteBeforeReplace: true },
    );
    this.initTeardown = teardownStep(
      this.step(`${first.name}-init-teardown`),
      { of: init, target: sshTarget(first), script: "reset", step: "init-delete" },
      { parent: this },
    );
    return init;
  }

  /**
   * This node's own token, minted on the first control plane (never scraped from init output) when
   * the node is added, and not again: an unchanged stack previews clean. A join retried after its
   * token expired stops before kubeadm runs, naming the command that mints a fresh one.
   */
  private joinToken(node: LabNode, after: Command[]): Command {
    return nodeStep(
      this.step(`${node.name}-join-token`),
      {
        node: this.firstControlPlane,
        script: "join-token",
        step: `join-token-${node.name}`,
        env: { CONTROL_PLANE_JOIN: String(node.role === "control-plane") },
        secretOutput: true,
      },
      { parent: this, dependsOn: [this.init, ...after] },
    );
  }

  private join(node: LabNode, prepare: pulumi.Resource, previous: Command[]): Command {
    const token = this.joinToken(node, previous);
    const secrets = pulumi.secret(token.stdout.apply(parseJoinToken));
    const joinConfig = pulumi.all([secrets, node.address, this.endpoint]).apply(([s, address, endpoint]) =>
      joinConfigYaml({
        nodeName: node.name,
        nodeAddress: address,
        apiServerEndpoint: formatEndpoint(endpoint),
        token: s.token,
        caCertHash: s.caCertHash,
        controlPlane: node.role === "control-plane" ? { certificateKey: s.certificateKey } : undefined,
        tokenExpires: s.expires,
        machineContainers: this.machineContainers,
      }),
    );
    const join = nodeStep(
      this.step(`${node.name}-join`),
      {
        node,
        script: "join",
        env: { NODE_NAME: node.name, TOKEN_STEP: token.urn, ...(node.role === "control-plane" ? this.vipEnv : {}) },
        stdin: pulumi.secret(joinConfig),
      },
      // A token minted again (`--replace` of its step) must not re-join or reset a joined node.
      { parent: this, dependsOn: [prepare, token, ...previous], ignoreChanges: ["stdin"], deleteBeforeReplace: true },
    );
    const reset = teardownStep(
      this.step(`${node.name}-join-teardown`),
      { of: join, target: sshTarget(node), script: "reset", step: "join-delete" },
      // A control plane's reset removes its etcd member: the first control plane must still be there.
      { parent: this, dependsOn: this.initTeardown ? [this.initTeardown] : [] },
    );
    // Seen from a control plane: the Node object exists after the join. On removal it is drained
    // and deleted there before the node itself is reset (deletes run in reverse dependency order).
    const registered = nodeStep(
      this.step(`${node.name}-registered`),
      {
        node,
        via: this.firstControlPlane,
        script: "node-registered",
        step: `registered-${node.name}`,
        env: { NODE_NAME: node.name, TIMEOUT_SECONDS: "300" },
      },
      { parent: this, dependsOn: [join], deleteBeforeReplace: true },
    );
    teardownStep(
      this.step(`${node.name}-registered-teardown`),
      {
        of: registered,
        target: sshTarget(this.firstControlPlane),
        script: "remove-node",
        step: `registered-${node.name}-delete`,
        env: { NODE_NAME: node.name },
      },
      // On a full destroy nobody needs the Node objects drained: draining a node that is off waits
      // out kubectl's timeout for nothing, so this runs only when the node leaves a live cluster.
      { parent: this, dependsOn: [reset], deletedWith: this.init },
    );
    return join;
  }

  private readKubeconfig(): pulumi.Output<string> {
    const read = nodeStep(
      this.step("kubeconfig"),
      { node: this.firstControlPlane, script: "kubeconfig", secretOutput: true },
      { parent: this, dependsOn: [this.init] },
    );
    return pulumi.secret(
      pulumi.all([read.stdout, this.endpoint]).apply(([text, endpoint]) => withServer(text, endpoint)),
    );
  }
}
