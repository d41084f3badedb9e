// How every node source describes a machine: its address, a secret SSH connection to it, and
// kubelab's node scripts shipped to it before any step runs there.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig, NodeSpec } from "../../config";
import { shipScripts } from "../node-scripts";
import { LabNode } from "../types";

export function labNode(
  config: LabConfig,
  spec: NodeSpec,
  address: pulumi.Output<string>,
  readyAfter: pulumi.Resource[] = [],
  opts: pulumi.CustomResourceOptions = {},
): LabNode {
  const connection = pulumi.secret({
    host: address,
    port: spec.sshPort,
    user: config.ssh.user,
    // With neither (an encrypted key held by the SSH agent) the provider signs through the agent at
    // its own SSH_AUTH_SOCK: storing that per-session path would change every step in each new session.
    privateKey: config.ssh.privateKey,
    privateKeyPassword: config.ssh.privateKeyPassword,
    // Pinning the host key (known_hosts style) refuses a machine that is not the one configured.
    hostKey: spec.hostKey,
    // Freshly booted machines refuse SSH for a while; the default limit gives up in seconds.
    dialErrorLimit: config.ssh.dialErrorLimit,
  });
  const scripts = shipScripts({ node: spec.name, connection, after: readyAfter }, opts);
  const ssh = {
    port: spec.sshPort,
    user: config.ssh.user,
    hostKey: spec.hostKey,
    privateKey: config.ssh.privateKey,
    privateKeyPassword: config.ssh.privateKeyPassword,
  };
  return { name: spec.name, role: spec.role, address, connection, ssh, readyAfter: [...readyAfter, scripts] };
}
