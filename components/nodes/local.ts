// Lab nodes as systemd machine containers on this host (scripts/local-nodes/node.sh): one bridge,
// then one command per node that builds the shared rootfs when missing, creates the node and
// boots it, printing its address and SSH host key. The nodes outlive `pulumi up`; a node whose
// container is gone (host reboot) is started again, on its own disk, by the next `pulumi up`.
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type { NodeRole } from "../../config";
import {
  LOCAL_DEFAULTS,
  LocalNodeStatus,
  bridgeDownCommand,
  bridgeUpCommand,
  localNodeProblems,
  machineName,
  nodeDestroyCommand,
  nodeUpCommand,
  parseStartOutput,
  parseStatus,
  planLocalNetwork,
  startToken,
  statusArgv,
} from "../../lib/local-nodes";

export interface LocalNodesArgs {
  /** The lab's nodes, control planes first. */
  nodes: { name: string; role: NodeRole }[];
  /** IPv4 network of the nodes: the bridge takes its first host address, the nodes the next ones. */
  nodeCidr: string;
  /** Name of the Linux bridge; @default "kubelab0" */
  bridge?: string;
  /** Debian release of the node rootfs; @default "bookworm" */
  release?: string;
  /** Memory limit of each node, e.g. "4G"; @default "4G" */
  memory?: string;
  /** The user created on each node, with the public key authorized and passwordless sudo. */
  sshUser: string;
  /** OpenSSH public key authorized for sshUser (reaches node.sh on stdin). */
  publicKey: pulumi.Input<string>;
  /** The Pulumi stack: part of each node's host-wide name, so stacks do not collide. */
  stack: string;
  /**
   * Whether a node's container runs now, asked while the program runs; @default `node.sh status`
   * on this host ("unknown" under the SDK's mocks, so offline renders do not depend on it).
   */
  nodeStatus?: (machine: string) => LocalNodeStatus;
}

export interface LocalNode {
  name: string;
  role: NodeRole;
  /** Host-wide name of the node's container: `<stack>-<name>`. */
  machine: string;
  address: pulumi.Output<string>;
  /** The node's SSH host key ("ssh-ed25519 AAAA..."), made before its first boot: pin it. */
  hostKey: pulumi.Output<string>;
  /** The node's command resource: SSH steps wait for it. */
  resource: command.local.Command;
}

/** `node.sh status`, or "unknown" where it cannot run (another OS, no script) or under mocks. */
export function hostNodeStatus(machine: string): LocalNodeStatus {
  if (process.platform !== "linux" || pulumi.runtime.getMonitor() instanceof MockMonitor) return { state: "unknown" };
  const [file, ...args] = statusArgv(machine);
  try {
    return parseStatus(execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    return { state: "unknown" };
  }
}

function checkedSettings(name: string, args: LocalNodesArgs) {
  const bridge = args.bridge ?? LOCAL_DEFAULTS.bridge;
  const release = args.release ?? LOCAL_DEFAULTS.release;
  const memory = args.memory ?? LOCAL_DEFAULTS.memory;
  const problems = localNodeProblems({
    stack: args.stack,
    nodeNames: args.nodes.map((n) => n.name),
    nodeCidr: args.nodeCidr,
    bridge,
    release,
    memory,
    sshUser: args.sshUser,
  });
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.key} = ${JSON.stringify(p.value)}: ${p.message}`);
    throw new Error(`invalid local nodes for ${name}:\n${lines.join("\n")}`);
  }
  return { bridge, release, memory };
}

export class LocalNodes extends pulumi.ComponentResource {
  public readonly nodes: LocalNode[];
  public readonly bridge: command.local.Command;

  constructor(name: string, args: LocalNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything: a bad setting leaves nothing half-made.
    const settings = checkedSettings(name, args);
    super("kubelab:nodes:LocalNodes", name, {}, opts);
    const { bridge, release, memory } = settings;
    const names = args.nodes.map((n) => n.name);
    const plan = planLocalNetwork(args.nodeCidr, names);
    const status = args.nodeStatus ?? hostNodeStatus;
    const now = new Date();

    this.bridge = new command.local.Command(
      `${name}-bridge`,
      {
        create: bridgeUpCommand(bridge, plan.bridgeCidr),
        delete: bridgeDownCommand(bridge),
        triggers: [bridge, plan.bridgeCidr],
        addPreviousOutputInEnv: false,
      },
      { parent: this, deleteBeforeReplace: true },
    );

    this.nodes = args.nodes.map((node) => {
      const machine = machineName(args.stack, node.name);
      const address = plan.addresses.get(node.name) as string;
      const up = nodeUpCommand({
        machine,
        hostname: node.name,
        address,
        plan,
        bridge,
        user: args.sshUser,
        memory,
        release,
        token: startToken(status(machine), now),
      });
      const resource = new command.local.Command(
        `${name}-${node.name}-machine`,
        {
          create: up,
          // Same text: create and start are idempotent, so an update boots a stopped node again.
          update: up,
          delete: nodeDestroyCommand(machine),
          stdin: args.publicKey,
          // What makes the node what it is: a change replaces it (destroy, then create afresh).
          triggers: [machine, address, bridge, plan.bridgeCidr, args.sshUser, memory, release, args.publicKey],
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: [this.bridge], deleteBeforeReplace: true },
      );
      const started = resource.stdout.apply((out) => parseStartOutput(machine, address, out));
      return {
        name: node.name,
        role: node.role,
        machine,
        address: started.address,
        hostKey: started.hostKey,
        resource,
      };
    });
    this.registerOutputs({});
  }
}
