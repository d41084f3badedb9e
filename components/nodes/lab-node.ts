// How every node source describes a machine: its address, a secret SSH connection to it, and
// kubelab's node scripts shipped to it before any step runs there.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig, NodeSpec } from "../../config";
import { shipScripts } from "../node-scripts";
import { LabNode } from "../types";

/** What a node source knows of a machine once it exists. */
export interface MachineFacts {
  address: pulumi.Output<string>;
  /** Resources that must exist before any command runs on it (its VM or container). */
  readyAfter?: pulumi.Resource[];
  /** Its SSH host key when the source made it (local nodes); @default the configured spec.hostKey */
  hostKey?: pulumi.Input<string>;
}

export function labNode(
  config: LabConfig,
  spec: NodeSpec,
  machine: MachineFacts,
  opts: pulumi.CustomResourceOptions = {},
): LabNode {
  const { address, readyAfter = [] } = machine;
  const hostKey = machine.hostKey ?? spec.hostKey;
  const connection = pulumi.secret({
    host: address,
    port: spec.sshPort,
    user: config.ssh.user,
    // With neither (an encrypted key held by the SSH agent) the provider signs through the agent at
    // its own SSH_AUTH_SOCK: storing that per-session path would change every step in each new session.
    privateKey: config.ssh.privateKey,
    privateKeyPassword: config.ssh.privateKeyPassword,
    // Pinning the host key (known_hosts style) refuses a machine that is not the one configured.
    hostKey,
    // Freshly booted machines refuse SSH for a while; the default limit gives up in seconds.
    dialErrorLimit: config.ssh.dialErrorLimit,
  });
  const scripts = shipScripts({ node: spec.name, connection, after: readyAfter }, opts);
  const ssh = {
    port: spec.sshPort,
    user: config.ssh.user,
    hostKey,
    privateKey: config.ssh.privateKey,
    privateKeyPassword: config.ssh.privateKeyPassword,
  };
  return { name: spec.name, role: spec.role, address, connection, ssh, readyAfter: [...readyAfter, scripts] };
}
