// Existing machines reached over SSH: nothing to create, only connections to describe.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../config";
import { LabNode } from "../types";

/** The static hosts of the config as LabNodes (control planes first, as configured). */
export function staticNodes(config: LabConfig): LabNode[] {
  return config.nodes.specs.map((spec) => {
    const address = pulumi.output(spec.address as string);
    return {
      name: spec.name,
      role: spec.role,
      address,
      connection: pulumi.secret({
        host: address,
        port: spec.sshPort,
        user: config.ssh.user,
        privateKey: config.ssh.privateKey,
        // Pinning the host key (known_hosts style) refuses a machine that is not the one configured.
        hostKey: spec.hostKey,
        dialErrorLimit: config.ssh.dialErrorLimit,
      }),
      readyAfter: [],
    };
  });
}
