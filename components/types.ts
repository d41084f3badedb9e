// The values that flow between kubelab's components (DESIGN §2).
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { NodeRole } from "../config";

/** A machine ready to be driven over SSH, whichever NodeSource made it. */
export interface LabNode {
  name: string;
  role: NodeRole;
  /** The node's address inside nodeCidr; kubelet's node-ip and the SSH host. */
  address: pulumi.Output<string>;
  /** Secret: carries the private key. */
  connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;
  /** The same access for OpenSSH on this machine (teardown and the network check run through it). */
  ssh: SshAccess;
  /** Resources that must exist before any command runs on the node (e.g. its VM). */
  readyAfter: pulumi.Resource[];
}

/** How OpenSSH on the machine running Pulumi reaches a node, as the connection does. */
export interface SshAccess {
  port: number;
  user: string;
  /** Pins the host key, known_hosts style ("ssh-ed25519 AAAA..."). */
  hostKey?: pulumi.Input<string>;
  /** Secret; absent when the SSH agent holds the key. */
  privateKey?: pulumi.Output<string>;
  /** Secret; only for an encrypted key. */
  privateKeyPassword?: pulumi.Output<string>;
}
