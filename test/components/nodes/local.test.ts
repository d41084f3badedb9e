import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { LocalNodes, LocalNodesArgs } from "../../../components/nodes/local";
import { MOCK_HOST_KEY, mockedOutputs } from "../../../components/nodes/local-mocked";
import { LocalNodeStatus } from "../../../lib/local-nodes";
import { RecordedResource, isSecretValue, revealSecrets, runProgram } from "../../../cli/render/mock-runtime";

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicKeyOfTheStack lab@host";

function args(overrides: Partial<LocalNodesArgs> = {}): LocalNodesArgs {
  return {
    nodes: [
      { name: "cp-1", role: "control-plane" },
      { name: "worker-1", role: "worker" },
    ],
    nodeCidr: "10.213.0.0/24",
    sshUser: "kube",
    publicKey: pulumi.secret(PUBLIC_KEY),
    stack: "lab",
    nodeStatus: () => ({ state: "absent" }),
    ...overrides,
  };
}

async function deploy(a: LocalNodesArgs) {
  return runProgram(
    () => {
      const lab = new LocalNodes("nodes", a);
      return Object.fromEntries(
        lab.nodes.flatMap((n) => [
          [`${n.name}-address`, n.address],
          [`${n.name}-hostKey`, n.hostKey],
          [`${n.name}-machine`, n.machine],
        ]),
      );
    },
    { config: {}, mockedOutputs },
  );
}

function byName(resources: RecordedResource[], name: string): RecordedResource {
  const found = resources.find((r) => r.name === name);
  assert.ok(found, `no resource ${name}; have ${resources.map((r) => r.name).join(", ")}`);
  return found;
}

describe("LocalNodes", () => {
  it("makes the bridge, then one machine command per node that every node waits for", async () => {
    const run = await deploy(args());
    const bridge = byName(run.resources, "nodes-bridge");
    assert.equal(bridge.type, "command:local:Command");
    assert.equal(bridge.parent, "nodes");
    assert.equal(bridge.inputs.create, "bash scripts/local-nodes/node.sh bridge-up kubelab0 10.213.0.1/24");
    assert.equal(bridge.inputs.delete, "bash scripts/local-nodes/node.sh bridge-down kubelab0");
    assert.equal(bridge.deleteBeforeReplace, true);

    const cp = byName(run.resources, "nodes-cp-1-machine");
    assert.equal(cp.type, "command:local:Command");
    assert.deepEqual(cp.dependsOn, ["nodes-bridge"]);
    assert.equal(cp.deleteBeforeReplace, true);
    assert.match(
      String(cp.inputs.create),
      /node\.sh create lab-cp-1 --address 10\.213\.0\.2\/24 --bridge kubelab0 --gateway 10\.213\.0\.1 --user kube --pubkey-file - --memory 4G --hostname cp-1 --release bookworm /,
    );
    assert.equal(cp.inputs.update, cp.inputs.create);
    assert.equal(cp.inputs.delete, "bash scripts/local-nodes/node.sh destroy lab-cp-1");
    assert.equal(cp.inputs.addPreviousOutputInEnv, false);
    assert.match(
      String(byName(run.resources, "nodes-worker-1-machine").inputs.create),
      /create lab-worker-1 --address 10\.213\.0\.3\/24 /,
    );
  });

  it("gives the public key only on stdin and replaces a node when what defines it changes", async () => {
    const run = await deploy(args({ memory: "2G", release: "trixie", bridge: "lab7" }));
    const cp = byName(run.resources, "nodes-cp-1-machine");
    assert.ok(!String(cp.inputs.create).includes("AAAAC3"), "no key material in the command text");
    const stdin = cp.inputs.stdin as { value?: string };
    assert.equal(stdin.value, PUBLIC_KEY, "stdin carries the key (kept secret as given)");
    assert.ok(isSecretValue(cp.inputs.triggers), "the triggers hold the key, so they stay secret");
    assert.deepEqual(revealSecrets(cp.inputs.triggers), [
      "lab-cp-1",
      "10.213.0.2",
      "lab7",
      "10.213.0.1/24",
      "kube",
      "2G",
      "trixie",
      PUBLIC_KEY,
    ]);
  });

  it("reads each node's address and pinned host key from the start JSON", async () => {
    const run = await deploy(args());
    assert.equal(run.outputs["cp-1-address"], "10.213.0.2");
    assert.equal(run.outputs["worker-1-address"], "10.213.0.3");
    assert.equal(run.outputs["cp-1-hostKey"], MOCK_HOST_KEY);
    assert.equal(run.outputs["worker-1-machine"], "lab-worker-1");
  });

  it("a running node keeps its start token, so its inputs stay the same; a stopped one is started again", async () => {
    const statuses: Record<string, LocalNodeStatus> = {
      "lab-cp-1": { state: "running", token: "boot-20260101T000000000Z" },
      "lab-worker-1": { state: "stopped" },
    };
    const asked: string[] = [];
    const run = await deploy(
      args({
        nodeStatus: (machine) => {
          asked.push(machine);
          return statuses[machine];
        },
      }),
    );
    assert.deepEqual(asked.sort(), ["lab-cp-1", "lab-worker-1"]);
    assert.match(
      String(byName(run.resources, "nodes-cp-1-machine").inputs.create),
      /start lab-cp-1 --token boot-20260101T000000000Z </,
    );
    const worker = String(byName(run.resources, "nodes-worker-1-machine").inputs.create);
    assert.match(worker, /start lab-worker-1 --token boot-\d{8}T\d{9}Z </);
    assert.ok(!worker.includes("boot-20260101T000000000Z"));
  });

  it("under the SDK's mocks the host is not asked, so a render does not depend on this machine", async () => {
    const run = await deploy(args({ nodeStatus: undefined }));
    assert.match(String(byName(run.resources, "nodes-cp-1-machine").inputs.create), /start lab-cp-1 --token unknown </);
  });

  it("refuses bad settings before registering anything, listing every problem", () => {
    assert.throws(
      () => new LocalNodes("nodes", args({ bridge: "this-name-is-too-long", nodeCidr: "10.0.0.0/30", memory: "lots" })),
      (error: Error) => {
        assert.match(error.message, /invalid local nodes for nodes:/);
        assert.match(
          error.message,
          /kubelab:nodes\.local\.bridge = "this-name-is-too-long": not a Linux interface name/,
        );
        assert.match(error.message, /kubelab:nodes\.local\.memory = "lots"/);
        assert.match(
          error.message,
          /kubelab:network\.nodeCidr = "10\.0\.0\.0\/30": holds 1 node address\(es\) after the bridge's, but 2 nodes/,
        );
        return true;
      },
    );
  });
});
