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
  /** Resources that must exist before any command runs on the node (e.g. its VM). */
  readyAfter: pulumi.Resource[];
}
