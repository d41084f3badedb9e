// How every node source describes a machine: its address and a secret SSH connection to it.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig, NodeSpec } from "../../config";
import { LabNode } from "../types";

export function labNode(
  config: LabConfig,
  spec: NodeSpec,
  address: pulumi.Output<string>,
  readyAfter: pulumi.Resource[] = [],
): LabNode {
  return {
    name: spec.name,
    role: spec.role,
    address,
    connection: pulumi.secret({
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
    }),
    readyAfter,
  };
}
