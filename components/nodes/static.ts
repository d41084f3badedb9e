// Existing machines reached over SSH: nothing to create, only connections to describe.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../config";
import { LabNode } from "../types";
import { labNode } from "./lab-node";

/** The static hosts of the config as LabNodes (control planes first, as configured). */
export function staticNodes(config: LabConfig): LabNode[] {
  return config.nodes.specs.map((spec) => labNode(config, spec, { address: pulumi.output(spec.address as string) }));
}
