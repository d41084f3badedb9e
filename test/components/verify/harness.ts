// Runs a NetworkCheck inside a mocked stack with stand-ins for the app, the joins and the VM.
// Shared by network-check.test.ts and the child process that watches an enforce failure.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { RecordedResource, runProgram } from "../../../cli/render/mock-runtime";
import { registerMockedOutputs } from "../../../cli/render/mock-outputs";
import { LabNode } from "../../../components/types";
import { NetworkCheck, NetworkCheckArgs } from "../../../components/verify/network-check";
import { gateObservations, mockedOutputs } from "../../../components/verify/mocked";

// A broken cluster for the enforce/report tests: the collect step of a check named "nat" sees one
// pair through NAT. Registered before the generic producer so it wins for that name.
registerMockedOutputs([
  {
    suffix: "nat-collect",
    produce: (args) => {
      const obs = gateObservations(String(args.inputs.create));
      obs.podToPod[0].clientIp = "192.168.56.10:40000";
      return { stdout: JSON.stringify(obs), stderr: "" };
    },
  },
]);
registerMockedOutputs(mockedOutputs);

export function fakeNode(name: string, address: string, readyAfter: pulumi.Resource[] = []): LabNode {
  return {
    name,
    role: "control-plane",
    address: pulumi.output(address),
    connection: pulumi.secret({ host: address, user: "ubuntu", privateKey: "KEY" }),
    ssh: { port: 22, user: "ubuntu", hostKey: "ssh-ed25519 AAAAhost", privateKey: pulumi.secret("KEY") },
    readyAfter,
  };
}

export const baseArgs = (cp: LabNode): NetworkCheckArgs => ({
  controlPlane: cp,
  nodes: [
    { name: "cp-1", address: cp.address },
    { name: "worker-1", address: "192.168.56.11" },
    { name: "worker-2", address: pulumi.output("192.168.56.12") },
  ],
  services: [
    { namespace: "vote", name: "redis", port: 6379 },
    { namespace: "vote", name: "db", port: 5432 },
  ],
  nodePorts: [
    { namespace: "vote", name: "vote", nodePort: 30004 },
    { namespace: "vote", name: "result", nodePort: 30005 },
  ],
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  mode: "enforce",
  cni: "calico",
});

export async function deploy(name = "verify", overrides: Partial<NetworkCheckArgs> = {}) {
  return runProgram(
    () => {
      const machine = new command.local.Command("vm-cp-1", { create: "true" });
      const cp = fakeNode("cp-1", "192.168.56.10", [machine]);
      const join = (n: string) => new command.local.Command(`cluster-${n}-join`, { create: "kubeadm join" });
      const joins = [join("worker-1"), join("worker-2")];
      const app = new command.local.Command("app", { create: "true" });
      const check = new NetworkCheck(name, { ...baseArgs(cp), ...overrides }, { dependsOn: [app, ...joins] });
      return { networkReport: check.report, topology: check.topology, networkCheck: check.settings };
    },
    { config: {} },
  );
}

export function byName(resources: RecordedResource[], name: string): RecordedResource {
  const found = resources.find((r) => r.name === name);
  assert.ok(found, `no resource ${name}; have ${resources.map((r) => r.name).join(", ")}`);
  return found;
}
