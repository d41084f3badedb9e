// Proves the Kubernetes networking model on the running cluster (issue 7): runs
// network-check.sh on the first control plane, evaluates what it observed and, in enforce mode,
// fails `pulumi up` when a requirement does not hold.
import * as pulumi from "@pulumi/pulumi";
import { nodeStep } from "../remote";
import { LabNode } from "../types";
import { Cni } from "../../policy/types";
import { evaluate, formatReport, NetworkReport, unreadableReport } from "./evaluate";
import { Observations, parseObservations } from "./observations";
import {
  ADMIN_KUBECONFIG,
  collectorEnv,
  DEFAULT_PROBE_IMAGE,
  DEFAULT_PROBE_NAMESPACE,
  DEFAULT_TIMEOUT_SECONDS,
  NetworkCheckSettings,
  nodeAddressList,
  NodePortTarget,
  nodePodCidrEnforced,
  planOf,
  ServiceTarget,
  targetProblems,
} from "./targets";
import { topologyMarkdown } from "./topology";

export interface NetworkCheckArgs {
  /** The first control plane: the check runs there with the admin kubeconfig. */
  controlPlane: LabNode;
  /** Every node kubelab created; each NodePort is asked for on each address. */
  nodes: { name: string; address: pulumi.Input<string> }[];
  /** ClusterIP Services of the app, checked by DNS name and TCP connect. */
  services: ServiceTarget[];
  /** NodePort Services, asked for on every node address. */
  nodePorts: NodePortTarget[];
  podCidr: string;
  serviceCidr: string;
  /** `enforce` fails `pulumi up` when a requirement fails; `report` only records the report. */
  mode: "enforce" | "report";
  /**
   * The pod network addon; decides whether pod IPs must lie in their node's PodCIDR.
   * @default undefined (enforced, as with flannel)
   */
  cni?: Cni;
  /** @default DEFAULT_PROBE_IMAGE (agnhost, pinned) */
  probeImage?: string;
  /** @default "kubelab-netcheck" */
  namespace?: string;
  /** Bound on waiting for the probes (image pull included). @default 180 */
  timeoutSeconds?: number;
  /**
   * On a full destroy the probes leave with the cluster (pass the kubeadm init step), so their
   * cleanup does not run against a cluster being torn down. @default undefined (cleanup runs)
   */
  deletedWith?: pulumi.Resource;
}

export class NetworkCheck extends pulumi.ComponentResource {
  /** One result per requirement; export as the stack output `networkReport`. */
  public readonly report: pulumi.Output<NetworkReport>;
  /** topology.md: the cluster as the check saw it, as a Mermaid chart and a table. */
  public readonly topology: pulumi.Output<string>;
  /** What `npm run verify` needs to re-run the check; export as the stack output `networkCheck`. */
  public readonly settings: pulumi.Output<NetworkCheckSettings>;

  constructor(name: string, args: NetworkCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    const base = {
      services: args.services,
      nodePorts: args.nodePorts,
      podCidr: args.podCidr,
      serviceCidr: args.serviceCidr,
      requireNodePodCidr: nodePodCidrEnforced(args.cni),
      mode: args.mode,
      probeImage: args.probeImage ?? DEFAULT_PROBE_IMAGE,
      namespace: args.namespace ?? DEFAULT_PROBE_NAMESPACE,
      timeoutSeconds: args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    };
    const problems = targetProblems({ ...base, nodeNames: args.nodes.map((n) => n.name) });
    // Before super(): an invalid check registers nothing.
    if (problems.length > 0)
      throw new Error(`invalid NetworkCheck "${name}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);

    super("kubelab:verify:NetworkCheck", name, {}, opts);
    const nodes = pulumi.all(
      args.nodes.map((n) => pulumi.output(n.address).apply((address) => ({ name: n.name, address }))),
    );
    this.settings = nodes.apply((resolved): NetworkCheckSettings => ({ ...base, nodes: resolved }));
    const collect = nodeStep(
      `${name}-collect`,
      {
        node: args.controlPlane,
        script: "network-check",
        env: { KUBECONFIG: ADMIN_KUBECONFIG, ...collectorEnv(base), NODE_ADDRESSES: nodes.apply(nodeAddressList) },
        deleteScript: {
          script: "network-check-cleanup",
          env: { KUBECONFIG: ADMIN_KUBECONFIG, PROBE_NAMESPACE: base.namespace },
        },
        // A new node, Service or range re-runs the check (the mocked outputs read the ranges here too).
        triggers: [this.settings],
      },
      { parent: this, dependsOn: opts?.dependsOn, deletedWith: args.deletedWith },
    );

    const observed = collect.stdout.apply(readObservations);
    const evaluated = observed.apply(({ observations, error }) =>
      observations ? evaluate(observations, planOf(base)) : unreadableReport(error),
    );
    // Only the report carries the enforce failure: the picture of a broken network stays readable.
    this.report = evaluated.apply((report) => enforce(name, args.mode, report));
    this.topology = pulumi
      .all([observed, evaluated])
      .apply(([{ observations }, report]) =>
        observations
          ? topologyMarkdown(observations, report)
          : `# kubelab network topology\n\n${formatReport(report)}\n`,
      );
    this.registerOutputs({ report: this.report, topology: this.topology, settings: this.settings });
  }
}

function readObservations(stdout: string): { observations?: Observations; error: string } {
  try {
    return { observations: parseObservations(stdout), error: "" };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Throws the formatted report when enforcing; a preview only shows what `up` would check. */
function enforce(name: string, mode: NetworkCheckArgs["mode"], report: NetworkReport): NetworkReport {
  if (report.ok || mode !== "enforce" || pulumi.runtime.isDryRun()) return report;
  throw new Error(
    [
      "the cluster does not satisfy the Kubernetes networking model:",
      formatReport(report),
      `Fix the network, then re-check with \`npm run verify\` or \`pulumi up --replace <URN of ${name}-collect>\`;`,
      "set kubelab:verify.mode to report to record the report without failing.",
    ].join("\n"),
  );
}
