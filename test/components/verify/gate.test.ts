// The network check step of `pulumi up`: it exits 1 on a broken network in enforce mode, so Pulumi
// keeps no record of it and the next `up` checks again; it records a passing (or report-mode) check.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { RunResult } from "../../../components/verify/collect";
import { runGate } from "../../../components/verify/gate";
import { RUNNER } from "../../../components/ssh/over-ssh";

const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "verify");
const observations = (name: string) => fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8");

const settings = {
  nodes: [
    { name: "cp-1", address: "192.168.56.10" },
    { name: "worker-1", address: "192.168.56.11" },
    { name: "worker-2", address: "192.168.56.12" },
  ],
  services: [{ namespace: "vote", name: "redis", port: 6379 }],
  nodePorts: [{ namespace: "vote", name: "vote", nodePort: 30004 }],
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  requireNodePodCidr: true,
  mode: "enforce",
  probeImage: "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
  namespace: "kubelab-netcheck",
  timeoutSeconds: 180,
  via: { node: "cp-1", host: "192.168.56.10", port: 22, user: "ubuntu" },
};

function gate(collector: RunResult, mode = "enforce") {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { program: string; args: string[] }[] = [];
  const code = runGate([JSON.stringify({ ...settings, mode })], {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { KUBELAB_NODE: "cp-1", KUBELAB_HOST: "192.168.56.10" },
    run: (program, args) => {
      calls.push({ program, args });
      return collector;
    },
  });
  return { code, stdout: out.join(""), stderr: err.join(""), calls };
}

const ok = (stdout: string): RunResult => ({ status: 0, stdout, stderr: "" });

describe("the network check step (gate.ts)", () => {
  it("records a passing check: exit 0 with the observations on stdout", () => {
    const run = gate(ok(observations("all-good")));
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), JSON.parse(observations("all-good")));
    assert.match(run.stderr, /^network model: OK/);
    assert.equal(run.calls[0].program, "bash");
    assert.deepEqual(run.calls[0].args.slice(0, 2), [RUNNER, "network-check.sh"]);
  });

  it("fails in enforce mode with the evidence and nothing to record, so the next up checks again", () => {
    const run = gate(ok(observations("nat-pair")));
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /FAIL pod-to-pod-no-nat/);
    assert.match(run.stderr, /- cp-1 \(10\.244\.0\.5\) -> worker-1 \(10\.244\.1\.7\): server saw 192\.168\.56\.10/);
    assert.match(run.stderr, /a failed check is not recorded, so it runs again/);
    assert.match(run.stderr, /kubelab:verify\.mode report/);
  });

  it("records a failing report in report mode", () => {
    const run = gate(ok(observations("nat-pair")), "report");
    assert.equal(run.code, 0);
    assert.equal(JSON.parse(run.stdout).version, 1);
    assert.match(run.stderr, /FAIL pod-to-pod-no-nat/);
  });

  it("fails without a record when the control plane cannot be reached or the collector fails", () => {
    const unreachable = gate({ status: 255, stdout: "", stderr: "" });
    assert.equal(unreachable.code, 2);
    assert.equal(unreachable.stdout, "");
    assert.equal(unreachable.stderr, "network check: could not reach cp-1 over SSH (see above)\n");
    const broken = gate({ status: 1, stdout: "", stderr: "" });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /network-check\.sh failed on cp-1 \(exit 1/);
  });
});
