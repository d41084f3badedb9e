// Proves the Kubernetes networking model on the running cluster (issue 7): runs
// network-check.sh on the first control plane (over SSH, from gate.ts), evaluates what it observed
// and, in enforce mode, fails `pulumi up` when a requirement does not hold.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { quote } from "shell-quote";
import { stepHeader } from "../remote";
import { SshTarget, overSshCommand, overSshEnvironment, targetAssignments } from "../ssh/over-ssh";
import { LabNode } from "../types";
import { Cni } from "../../policy/types";
import { PROJECT_ROOT } from "../../lib/project-root";
import { evaluate, formatReport, NetworkReport, unreadableReport } from "./evaluate";
import { Observations, parseObservations } from "./observations";
import {
  ADMIN_KUBECONFIG,
  DEFAULT_PROBE_IMAGE,
  DEFAULT_PROBE_NAMESPACE,
  DEFAULT_TIMEOUT_SECONDS,
  NetworkCheckSettings,
  NodePortTarget,
  nodePodCidrEnforced,
  planOf,
  ServiceTarget,
  targetProblems,
} from "./targets";
import { topologyMarkdown } from "./topology";

const GATE = "components/verify/gate.ts";

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
    const cp = args.controlPlane;
    const nodes = pulumi.all(
      args.nodes.map((n) => pulumi.output(n.address).apply((address) => ({ name: n.name, address }))),
    );
    const via = pulumi.all([cp.address, cp.ssh.hostKey]).apply(([host, hostKey]) => ({
      node: cp.name,
      host,
      port: cp.ssh.port,
      user: cp.ssh.user,
      ...(hostKey ? { hostKey } : {}),
    }));
    this.settings = pulumi
      .all([nodes, via])
      .apply(([resolved, host]): NetworkCheckSettings => ({ ...base, nodes: resolved, via: host }));
    const target: SshTarget = { node: cp.name, address: cp.address, ssh: cp.ssh };
    const cleanup = {
      target,
      script: "network-check-cleanup",
      step: "network-check-delete",
      env: { KUBECONFIG: ADMIN_KUBECONFIG, PROBE_NAMESPACE: base.namespace },
    };
    // Runs here, not on the node: the judging is kubelab's TypeScript, and a check that fails must
    // fail this step so Pulumi keeps no record of it and the next `up` checks again (gate.ts). A
    // change of nodes, Services or ranges changes the command and re-runs the check.
    const collect = new command.local.Command(
      `${name}-collect`,
      {
        create: gateCommand(target, this.settings),
        delete: overSshCommand(cleanup),
        environment: overSshEnvironment(cleanup),
        addPreviousOutputInEnv: false,
        // stdout is the observations document: the report and progress (stderr) are what to show.
        logging: command.types.enums.local.Logging.Stderr,
      },
      {
        parent: this,
        dependsOn: [...cp.readyAfter, ...toArray(opts?.dependsOn)],
        deletedWith: args.deletedWith,
        additionalSecretOutputs: ["environment"],
      },
    );

    const observed = collect.stdout.apply(readObservations);
    this.report = observed.apply(({ observations, error }) =>
      observations ? evaluate(observations, planOf(base)) : unreadableReport(error),
    );
    this.topology = pulumi
      .all([observed, this.report])
      .apply(([{ observations }, report]) =>
        observations
          ? topologyMarkdown(observations, report)
          : `# kubelab network topology\n\n${formatReport(report)}\n`,
      );
    this.registerOutputs({ report: this.report, topology: this.topology, settings: this.settings });
  }
}

/** `cd <project> && KUBELAB_...=... tsx components/verify/gate.ts '<settings>'`. */
export function gateCommand(target: SshTarget, settings: pulumi.Input<NetworkCheckSettings>): pulumi.Output<string> {
  return pulumi
    .all([targetAssignments(target, "network-check"), pulumi.output(settings)])
    .apply(([assignments, resolved]) => {
      const run = [
        `cd ${quote([PROJECT_ROOT])} &&`,
        assignments,
        "node_modules/.bin/tsx",
        GATE,
        quote([JSON.stringify(resolved)]),
      ];
      return `${stepHeader({ node: target.node, step: "network-check" })}\n${run.join(" ")}`;
    });
}

function toArray(value: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (!value) return [];
  return Array.isArray(value) ? value : [value as pulumi.Input<pulumi.Resource>];
}

function readObservations(stdout: string): { observations?: Observations; error: string } {
  try {
    return { observations: parseObservations(stdout), error: "" };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
