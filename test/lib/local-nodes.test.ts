import { test } from "node:test";
import assert from "node:assert/strict";
import { parse as parseShell } from "shell-quote";
import {
  LOCAL_DEFAULTS,
  LocalNodesInput,
  bridgeDownCommand,
  bridgeUpCommand,
  localNodeProblems,
  machineName,
  nodeDestroyCommand,
  nodeUpCommand,
  parseStartOutput,
  parseStatus,
  planLocalNetwork,
  startToken,
  statusArgv,
} from "../../lib/local-nodes";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKt3zsDIvJUnTo4kPHFbadOZUn9tHAECbsvr+xR4m73E";

const input = (overrides: Partial<LocalNodesInput> = {}): LocalNodesInput => ({
  stack: "lab",
  nodeNames: ["cp-1", "worker-1", "worker-2"],
  nodeCidr: "10.213.0.0/24",
  sshUser: "kube",
  ...LOCAL_DEFAULTS,
  ...overrides,
});

test("the bridge takes nodeCidr's first host address and the nodes the ones after it", () => {
  const plan = planLocalNetwork("10.213.0.0/24", ["cp-1", "worker-1", "worker-2"]);
  assert.equal(plan.gateway, "10.213.0.1");
  assert.equal(plan.prefix, 24);
  assert.equal(plan.bridgeCidr, "10.213.0.1/24");
  assert.deepEqual(
    [...plan.addresses],
    [
      ["cp-1", "10.213.0.2"],
      ["worker-1", "10.213.0.3"],
      ["worker-2", "10.213.0.4"],
    ],
  );
  assert.equal(planLocalNetwork("172.30.4.0/22", ["a"]).addresses.get("a"), "172.30.4.2");
  assert.throws(() => planLocalNetwork("fd00::/64", ["a"]), /local nodes need an IPv4 nodeCidr, got fd00::\/64/);
});

test("machine names join stack and node, become host names, and stay unique when shortened", () => {
  assert.equal(machineName("lab", "cp-1"), "lab-cp-1");
  assert.equal(machineName("Dev_East.2", "worker-1"), "dev-east-2-worker-1");
  const long = "a-very-long-stack-name-that-someone-chose-for-their-own-lab";
  const one = machineName(long, "worker-10");
  const two = machineName(long, "worker-11");
  assert.ok(one.length <= 63 && two.length <= 63, `${one} / ${two}`);
  assert.notEqual(one, two);
  assert.match(one, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  assert.equal(machineName(long, "worker-10"), one, "the same inputs give the same name");
});

test("valid local settings have no problems", () => {
  assert.deepEqual(localNodeProblems(input()), []);
});

test("every bad local setting is one problem naming the key, the value and the fix", () => {
  const problems = localNodeProblems(
    input({ bridge: "a-bridge-name-too-long", release: "Bookworm 12", memory: "4.5G", sshUser: "Kube" }),
  );
  assert.deepEqual(
    problems.map((p) => [p.key, p.value]),
    [
      ["kubelab:nodes.local.bridge", "a-bridge-name-too-long"],
      ["kubelab:nodes.local.release", "Bookworm 12"],
      ["kubelab:nodes.local.memory", "4.5G"],
      ["kubelab:ssh.user", "Kube"],
    ],
  );
  assert.match(problems[0].message, /1-15 letters, digits/);
  assert.match(problems[2].message, /a size such as 4G/);
});

test("nodeCidr must be IPv4 with room for the bridge and every node", () => {
  assert.match(localNodeProblems(input({ nodeCidr: "fd00::/64" }))[0].message, /need an IPv4 network/);
  assert.match(localNodeProblems(input({ nodeCidr: "10.0.0.0/31" }))[0].message, /prefix between \/8 and \/30/);
  // A /29 has 6 usable addresses: the bridge's and 5 nodes.
  const names = (n: number) => Array.from({ length: n }, (_, i) => `worker-${i + 1}`);
  assert.deepEqual(localNodeProblems(input({ nodeCidr: "10.0.0.0/29", nodeNames: names(5) })), []);
  const [problem] = localNodeProblems(input({ nodeCidr: "10.0.0.0/29", nodeNames: names(6) }));
  assert.equal(problem.key, "kubelab:network.nodeCidr");
  assert.equal(
    problem.message,
    "holds 5 node address(es) after the bridge's, but 6 nodes are configured; use a larger network or fewer nodes",
  );
});

test("bridge commands run node.sh with quoted arguments", () => {
  assert.equal(
    bridgeUpCommand("kubelab0", "10.213.0.1/24"),
    "bash scripts/local-nodes/node.sh bridge-up kubelab0 10.213.0.1/24",
  );
  assert.equal(bridgeDownCommand("kubelab0"), "bash scripts/local-nodes/node.sh bridge-down kubelab0");
  assert.equal(nodeDestroyCommand("lab-cp-1"), "bash scripts/local-nodes/node.sh destroy lab-cp-1");
  assert.deepEqual(statusArgv("lab-cp-1"), ["bash", "scripts/local-nodes/node.sh", "status", "lab-cp-1", "--json"]);
});

test("the node command ensures the rootfs, creates with the key on stdin, starts with the token, prints only the JSON", () => {
  const plan = planLocalNetwork("10.213.0.0/24", ["cp-1"]);
  const text = nodeUpCommand({
    machine: "lab-cp-1",
    hostname: "cp-1",
    address: "10.213.0.2",
    plan,
    bridge: "kubelab0",
    user: "kube",
    memory: "4G",
    release: "bookworm",
    token: "boot-20260101T000000000Z",
  });
  assert.equal(
    text,
    "bash scripts/local-nodes/node.sh rootfs --release bookworm </dev/null >/dev/null && " +
      "bash scripts/local-nodes/node.sh create lab-cp-1 --address 10.213.0.2/24 --bridge kubelab0 --gateway 10.213.0.1 " +
      "--user kube --pubkey-file - --memory 4G --hostname cp-1 --release bookworm >/dev/null && " +
      "bash scripts/local-nodes/node.sh start lab-cp-1 --token boot-20260101T000000000Z </dev/null",
  );
  // shell-quote parses it back into exactly three node.sh invocations joined by &&.
  assert.equal(parseShell(text).filter((t) => typeof t === "object" && "op" in t && t.op === "&&").length, 2);
  assert.throws(
    () =>
      nodeUpCommand({
        machine: "m",
        hostname: "m",
        address: "10.213.0.2",
        plan,
        bridge: "b",
        user: "u",
        memory: "1G",
        release: "bookworm",
        token: "a b",
      }),
    /invalid start token: a b/,
  );
});

test("the start JSON must name the node asked for, at its planned address, with an ed25519 host key", () => {
  const line = JSON.stringify({ name: "lab-cp-1", address: "10.213.0.2", hostKey: HOST_KEY });
  assert.deepEqual(parseStartOutput("lab-cp-1", "10.213.0.2", `${line}\n`), {
    name: "lab-cp-1",
    address: "10.213.0.2",
    hostKey: HOST_KEY,
  });
  assert.throws(
    () => parseStartOutput("lab-cp-1", "10.213.0.2", "booting...\n"),
    /did not print its JSON line; got: "booting..."/,
  );
  assert.throws(
    () => parseStartOutput("lab-cp-1", "10.213.0.3", line),
    /reported node lab-cp-1 at 10\.213\.0\.2, expected lab-cp-1 at 10\.213\.0\.3/,
  );
  assert.throws(
    () =>
      parseStartOutput(
        "lab-cp-1",
        "10.213.0.2",
        JSON.stringify({ name: "lab-cp-1", address: "10.213.0.2", hostKey: "ssh-rsa AAAA" }),
      ),
    /no ed25519 host key/,
  );
});

test("status output: a known state with its token, anything else unknown", () => {
  assert.deepEqual(parseStatus('{"state":"running","token":"boot-1"}\n'), { state: "running", token: "boot-1" });
  assert.deepEqual(parseStatus('{"state":"stopped","token":""}'), { state: "stopped", token: undefined });
  assert.deepEqual(parseStatus("node.sh: ERROR: ..."), { state: "unknown" });
  assert.deepEqual(parseStatus('{"state":"exploded"}'), { state: "unknown" });
});

test("a running node keeps its start token; a stopped or missing one gets a new one; unknown stays constant", () => {
  const now = new Date("2026-03-04T05:06:07.089Z");
  assert.equal(startToken({ state: "running", token: "boot-1" }, now), "boot-1");
  assert.equal(startToken({ state: "stopped" }, now), "boot-20260304T050607089Z");
  assert.equal(startToken({ state: "absent" }, now), "boot-20260304T050607089Z");
  assert.equal(startToken({ state: "running" }, now), "boot-20260304T050607089Z", "a node started without a token");
  assert.equal(startToken({ state: "unknown" }, now), "unknown");
});
