// Local VMs through the Multipass CLI: launched with cloud-init carrying the SSH public key, their
// address read from `multipass info`, purged on destroy.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { quote } from "shell-quote";
import { LabConfig, NodeSpec } from "../../config";
import { cidrContains } from "../../lib/cidr";
import { LabNode } from "../types";
import { labNode } from "./lab-node";
import { cloudInit } from "./cloud-init";

export interface MultipassNodesArgs {
  config: LabConfig;
}

/** `multipass info --format json` → the VM's first IPv4 address, checked against nodeCidr. */
export function addressFromInfo(vm: string, infoJson: string, nodeCidr: string): string {
  let info: { info?: Record<string, { ipv4?: string[] }> };
  try {
    info = JSON.parse(infoJson);
  } catch {
    throw new Error(`multipass info for ${vm} did not return JSON; run \`multipass info ${vm}\` to see why`);
  }
  const address = info.info?.[vm]?.ipv4?.[0];
  if (!address) throw new Error(`multipass reports no IPv4 address for ${vm}; check \`multipass info ${vm}\``);
  if (!cidrContains(nodeCidr, address)) {
    throw new Error(
      `VM ${vm} got address ${address}, outside kubelab:network.nodeCidr ${nodeCidr}; ` +
        `set nodeCidr to the Multipass network (see \`multipass info ${vm}\`) so kubelet, the CNI and the checks agree`,
    );
  }
  return address;
}

/** The launch command: idempotent (an existing VM is kept), output only the info JSON. */
export function launchCommand(spec: NodeSpec, config: LabConfig): string {
  const { image, cpus, memory, disk } = config.nodes.multipass;
  const launch = quote([
    "multipass",
    "launch",
    "--name",
    spec.name,
    "--cpus",
    String(cpus),
    "--memory",
    memory,
    "--disk",
    disk,
    "--cloud-init",
    "-",
    image,
  ]);
  const name = quote([spec.name]);
  return `(multipass info ${name} >/dev/null 2>&1 || ${launch} >&2) && multipass info ${name} --format json`;
}

export class MultipassNodes extends pulumi.ComponentResource {
  public readonly nodes: LabNode[];

  constructor(name: string, args: MultipassNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubelab:nodes:MultipassNodes", name, {}, opts);
    const { config } = args;
    this.nodes = config.nodes.specs.map((spec) => {
      const vm = new command.local.Command(
        `${name}-${spec.name}-vm`,
        {
          create: launchCommand(spec, config),
          stdin: config.ssh.publicKey.apply((key) => cloudInit(config.ssh.user, key)),
          delete: `multipass delete --purge ${quote([spec.name])} || true`,
          addPreviousOutputInEnv: false,
        },
        { parent: this },
      );
      const address = vm.stdout.apply((out) => addressFromInfo(spec.name, out, config.network.nodeCidr));
      return labNode(config, spec, { address, readyAfter: [vm] }, { parent: this });
    });
    this.registerOutputs({});
  }
}
