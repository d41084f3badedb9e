// The pod network addon: its Helm chart (and Calico's Installation) through a provider built from the
// cluster's kubeconfig, then a bounded wait on a control plane until every node and the addon's
// agents are Ready.
// Until then nodes are NotReady, so everything that schedules pods depends on `ready`.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { LabConfig } from "../../config";
import { LoadedBundle, addonImageValues, chartFor, mergeValues } from "../../lib/offline-bundle";
import { nodeStep } from "../remote";
import { LabNode } from "../types";
import { calicoServicesEndpoint, flannelAgentTransform } from "./agent-endpoint";
import { AddonRelease, addonPlan, addonRelease, assertAddonMatchesPlan, enforcesNetworkPolicy } from "./values";

export interface PodNetworkArgs {
  network: LabConfig["network"];
  /** Secret: the admin kubeconfig. */
  kubeconfig: pulumi.Output<string>;
  /** The control-plane endpoint: Cilium's kube-proxy replacement dials it directly. */
  apiServer: { host: pulumi.Input<string>; port: number };
  /** More than one control plane: the addon's agents dial apiServer, not the `kubernetes` Service. */
  agentsUseEndpoint?: boolean;
  /** Where the readiness wait runs (it reads /etc/kubernetes/admin.conf there). */
  controlPlane: LabNode;
  /** Every node that must end up Ready. */
  nodeNames: string[];
  /** Node joins: they may run in parallel with the install, the readiness wait needs both. */
  joins: pulumi.Resource[];
  /** Install the addon's chart and images from this bundle instead of its repository. */
  offline?: LoadedBundle;
  /** Bound of the readiness wait on the node. @default 600 */
  readyTimeoutSeconds?: number;
  /**
   * On a full destroy the Kubernetes objects go away with the cluster, so Pulumi need not delete them
   * one by one: the caller passes the kubeadm init step, whose delete resets the first control plane.
   * Applied as `deletedWith` to every Kubernetes object of the component. @default undefined
   */
  deletedWith?: pulumi.Resource;
}

export const DEFAULT_READY_TIMEOUT_SECONDS = 600;

/**
 * The Helm release for `args.network`, checked against the network plan: throws (listing every
 * `[rule] message`) when the addon's pool is not kubeadm's podSubnet or collides with another range.
 */
export function checkedRelease(
  args: Pick<PodNetworkArgs, "network" | "apiServer" | "offline" | "agentsUseEndpoint">,
): AddonRelease {
  const { network } = args;
  const addonArgs = {
    cni: network.cni,
    podCidr: network.podCidr,
    nodeCidr: network.nodeCidr,
    serviceCidr: network.serviceCidr,
    kubeProxyReplacement: network.cni === "cilium" && network.kubeProxyReplacement,
    chartVersion: network.chartVersions[network.cni],
    apiServerHost: args.apiServer.host,
    apiServerPort: args.apiServer.port,
    agentsUseEndpoint: args.agentsUseEndpoint,
  };
  const release = addonRelease(addonArgs);
  assertAddonMatchesPlan(release, addonPlan(addonArgs));
  return args.offline ? fromBundle(release, args.offline) : release;
}

/** The same release from the bundle: its local chart, with the chart's images pointed at the bundle's. */
function fromBundle(release: AddonRelease, bundle: LoadedBundle): AddonRelease {
  const chart = chartFor(bundle, release.cni);
  const values = mergeValues(release.values, addonImageValues(bundle.manifest, release.cni));
  return { ...release, chart: chart.path, repo: undefined, version: chart.version, values };
}

/** Pass the kubeadm init step as `opts.dependsOn`: the provider needs a running API server. */
export class PodNetwork extends pulumi.ComponentResource {
  /** Talks to the cluster with the admin kubeconfig; the app and checks reuse it. */
  public readonly provider: k8s.Provider;
  /** The addon's chart (a component: depending on it waits for everything it applied). */
  public readonly chart: k8s.helm.v4.Chart;
  /** Calico only: `Installation/default`, which makes the operator deploy calico-node. */
  public readonly installation?: k8s.apiextensions.CustomResource;
  /** The readiness wait: every node Ready and the addon's agents Ready. */
  public readonly ready: command.remote.Command;
  /** Whether NetworkPolicies take effect (Flannel ignores them). */
  public readonly enforcesNetworkPolicy: boolean;
  /** The chart, version, namespace and values installed, for render and the policy checks. */
  public readonly release: AddonRelease;

  constructor(name: string, args: PodNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before anything is registered: a mismatching pool must fail the preview, not a half-built cluster.
    const release = checkedRelease(args);
    super("kubelab:network:PodNetwork", name, {}, opts);
    this.release = release;
    this.enforcesNetworkPolicy = enforcesNetworkPolicy(release.cni);

    // Children do not inherit the component's dependsOn: the provider waits for init itself.
    // No deleteUnreachable: a refresh while the lab's VMs are stopped would silently drop every
    // Kubernetes object from state. `npm run destroy` sets PULUMI_K8S_DELETE_UNREACHABLE instead.
    this.provider = new k8s.Provider(
      `${name}-provider`,
      { kubeconfig: pulumi.secret(args.kubeconfig) },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    const k8sOpts = { parent: this, provider: this.provider, deletedWith: args.deletedWith };

    const namespace =
      release.namespace === "kube-system"
        ? undefined
        : new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: release.namespace, labels: release.namespaceLabels } },
            k8sOpts,
          );

    const endpointFirst = this.agentEndpoint(name, args, release, namespace, k8sOpts);
    this.chart = new k8s.helm.v4.Chart(
      `${name}-${release.cni}`,
      {
        chart: release.chart,
        // A local chart (offline) is installed as it is: no repository, no version to resolve.
        repositoryOpts: release.repo ? { repo: release.repo } : undefined,
        version: release.repo ? release.version : undefined,
        namespace: release.namespace,
        values: release.values,
      },
      {
        ...k8sOpts,
        dependsOn: [...(namespace ? [namespace] : []), ...endpointFirst],
        transforms:
          args.agentsUseEndpoint && release.cni === "flannel" ? [flannelAgentTransform(args.apiServer)] : undefined,
      },
    );

    // After the chart, so Pulumi deletes it while the operator still runs and can remove its
    // finalizer; and after the operator has registered its CRDs (the chart ships none since Calico
    // v3.32), which waits on the operator's image pull: longer than the provider's own retries.
    this.installation =
      release.installation === undefined
        ? undefined
        : new k8s.apiextensions.CustomResource(
            `${name}-installation`,
            {
              apiVersion: "operator.tigera.io/v1",
              kind: "Installation",
              metadata: { name: "default" },
              spec: release.installation,
            },
            { ...k8sOpts, dependsOn: [this.chart, this.operatorCrds(name, args.controlPlane, this.chart)] },
          );

    this.ready = nodeStep(
      `${name}-wait-ready`,
      {
        node: args.controlPlane,
        script: "wait-network",
        env: {
          EXPECTED_NODES: args.nodeNames.join(" "),
          ADDON_NAMESPACE: release.agent.namespace,
          ADDON_SELECTOR: release.agent.selector,
          TIMEOUT_SECONDS: String(args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS),
        },
      },
      // calico-node only appears once the operator acts on the Installation.
      { parent: this, dependsOn: [this.chart, ...(this.installation ? [this.installation] : []), ...args.joins] },
    );

    this.registerOutputs({
      addon: release.cni,
      enforcesNetworkPolicy: this.enforcesNetworkPolicy,
      ready: this.ready.stdout,
    });
  }

  /** Calico with agentsUseEndpoint: the ConfigMap tigera-operator reads before it starts calico-node. */
  private agentEndpoint(
    name: string,
    args: PodNetworkArgs,
    release: AddonRelease,
    namespace: k8s.core.v1.Namespace | undefined,
    k8sOpts: pulumi.CustomResourceOptions,
  ): pulumi.Resource[] {
    if (!args.agentsUseEndpoint || release.cni !== "calico") return [];
    return [
      new k8s.core.v1.ConfigMap(
        `${name}-services-endpoint`,
        calicoServicesEndpoint(args.apiServer, release.namespace),
        {
          ...k8sOpts,
          dependsOn: namespace ? [namespace] : [],
        },
      ),
    ];
  }

  /** The bounded wait until tigera-operator serves the Installation kind. */
  private operatorCrds(name: string, controlPlane: LabNode, chart: k8s.helm.v4.Chart): command.remote.Command {
    return nodeStep(
      `${name}-wait-crds`,
      {
        node: controlPlane,
        script: "wait-crd",
        env: { CRD_NAME: "installations.operator.tigera.io", TIMEOUT_SECONDS: "300" },
      },
      { parent: this, dependsOn: [chart] },
    );
  }
}
