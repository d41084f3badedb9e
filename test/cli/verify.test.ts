import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiEnv, RunOptions, RunResult, runVerify, verifyInputs, VerifyIo } from "../../cli/verify";
import { RUNNER } from "../../components/ssh/over-ssh";
import { readNodeScript } from "../../components/node-scripts";

// Every external program is faked: no Pulumi CLI, ssh or cluster is touched.
const FIXTURES = path.resolve(__dirname, "..", "fixtures", "verify");
const KEY_FILE = path.resolve(__dirname, "..", "fixtures", "ssh", "ed25519-plain");

const outputs = {
  kubeconfig: "apiVersion: v1\nkind: Config\n",
  controlPlaneEndpoint: "192.168.56.10:6443",
  nodes: [
    { name: "cp-1", role: "control-plane", address: "192.168.56.10" },
    { name: "worker-1", role: "worker", address: "192.168.56.11" },
    { name: "worker-2", role: "worker", address: "192.168.56.12" },
  ],
  networkCheck: {
    services: [{ namespace: "vote", name: "redis", port: 6379 }],
    nodePorts: [{ namespace: "vote", name: "vote", nodePort: 30004 }],
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    requireNodePodCidr: true,
    mode: "enforce",
    probeImage: "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
    namespace: "kubelab-netcheck",
    timeoutSeconds: 180,
    via: { node: "cp-1", host: "192.168.56.10", port: 22, user: "ubuntu", hostKey: "ssh-ed25519 AAAAhostkey" },
  },
};

/** `pulumi config --json --show-secrets` of a stack whose key is a file. */
const stackConfig = {
  "kubelab:ssh": {
    value: JSON.stringify({ user: "ubuntu", privateKeyPath: KEY_FILE }),
    objectValue: { user: "ubuntu", privateKeyPath: KEY_FILE },
    secret: false,
  },
};

interface Call {
  program: string;
  args: string[];
  options: RunOptions;
}

interface Fake {
  outputs?: RunResult;
  config?: RunResult;
  collector?: RunResult;
}

const ok = (stdout = ""): RunResult => ({ status: 0, stdout, stderr: "" });
const fixture = (name: string) => ok(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));

const scratch: string[] = [];
after(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function harness(fake: Fake, env: NodeJS.ProcessEnv = {}) {
  const calls: Call[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "verify-test-"));
  scratch.push(cwd);
  const io: VerifyIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd,
    env,
    run: (program, args, options) => {
      calls.push({ program, args, options });
      if (program === "pulumi" && args[0] === "stack") return fake.outputs ?? ok(JSON.stringify(outputs));
      if (program === "pulumi") return fake.config ?? ok(JSON.stringify(stackConfig));
      return fake.collector ?? fixture("all-good");
    },
  };
  return { io, calls, cwd, out: () => out.join(""), err: () => err.join("") };
}

describe("npm run verify", () => {
  it("exits 0, prints the report and writes topology.md, report.json and observations.json", () => {
    const h = harness({});
    assert.equal(runVerify([], h.io), 0);
    assert.match(h.out(), /^network model: OK \(6 of 6 requirements hold\)/);
    assert.match(h.out(), /wrote out\/verify\/topology\.md\n$/);
    const dir = path.join(h.cwd, "out", "verify");
    assert.match(fs.readFileSync(path.join(dir, "topology.md"), "utf8"), /```mermaid\nflowchart LR/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8")).ok, true);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "observations.json"), "utf8")).version, 1);
  });

  it("exits 1 and names the evidence when a requirement fails", () => {
    const h = harness({ collector: fixture("nat-pair") });
    assert.equal(runVerify(["--out", "here"], h.io), 1);
    assert.match(h.out(), /FAIL pod-to-pod-no-nat/);
    assert.match(h.out(), /- cp-1 \(10\.244\.0\.5\) -> worker-1 \(10\.244\.1\.7\): server saw 192\.168\.56\.10/);
    assert.ok(fs.existsSync(path.join(h.cwd, "here", "topology.md")));
  });

  it("reads the selected stack from the repo's local backend and never sets a passphrase of its own", () => {
    const h = harness({});
    runVerify(["--stack", "ha"], h.io);
    const [pulumi] = h.calls;
    assert.deepEqual(pulumi.args, ["stack", "output", "--json", "--show-secrets", "--stack", "ha"]);
    assert.match(pulumi.options.env.PULUMI_BACKEND_URL!, /^file:\/\/.*\/\.pulumi-state$/);
    assert.equal("PULUMI_CONFIG_PASSPHRASE" in pulumi.options.env, false);
    assert.deepEqual(pulumiEnv({ PULUMI_BACKEND_URL: "s3://bucket" }), { PULUMI_BACKEND_URL: "s3://bucket" });
  });

  it("respects PULUMI_CONFIG_PASSPHRASE and _FILE, and otherwise asks once for a passphrase stack", () => {
    const repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "verify-repo-"));
    scratch.push(repoRoot);
    fs.mkdirSync(path.join(repoRoot, "stacks"));
    fs.writeFileSync(path.join(repoRoot, "stacks", "Pulumi.lab.yaml"), "encryptionsalt: v1:abc:def\nconfig: {}\n");
    const asked: string[] = [];
    const askSecret = (prompt: string) => (asked.push(prompt), "typed secret");
    const envOf = (env: NodeJS.ProcessEnv) => {
      const h = harness({}, env);
      runVerify([], { ...h.io, repoRoot, askSecret });
      return h.calls[0].options.env;
    };
    assert.equal(envOf({ PULUMI_CONFIG_PASSPHRASE: "set by me" }).PULUMI_CONFIG_PASSPHRASE, "set by me");
    assert.equal(envOf({ PULUMI_CONFIG_PASSPHRASE: "" }).PULUMI_CONFIG_PASSPHRASE, "");
    const fromFile = envOf({ PULUMI_CONFIG_PASSPHRASE_FILE: "/home/me/.lab-passphrase" });
    assert.equal(fromFile.PULUMI_CONFIG_PASSPHRASE_FILE, "/home/me/.lab-passphrase");
    assert.equal("PULUMI_CONFIG_PASSPHRASE" in fromFile, false);
    assert.deepEqual(asked, []);
    assert.equal(envOf({}).PULUMI_CONFIG_PASSPHRASE, "typed secret");
    assert.equal(asked.length, 1);
    assert.match(asked[0], /^Passphrase of stack lab \(set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/);
  });

  it("runs the collector on the first control plane over the stack's SSH access, as pulumi up does", () => {
    const h = harness({}, { PATH: "/usr/bin", SSH_AUTH_SOCK: "/run/agent.sock" });
    assert.equal(runVerify(["--keep-probes", "--timeout", "60"], h.io), 0);
    assert.deepEqual(
      h.calls.map((c) => `${c.program} ${c.args.slice(0, 2).join(" ")}`),
      ["pulumi stack output", "pulumi config --json", "bash " + RUNNER + " network-check.sh"],
    );
    const collector = h.calls[2];
    const env = collector.options.env;
    assert.equal(env.KUBELAB_NODE, "cp-1");
    assert.equal(env.KUBELAB_HOST, "192.168.56.10");
    assert.equal(env.KUBELAB_PORT, "22");
    assert.equal(env.KUBELAB_USER, "ubuntu");
    assert.equal(env.KUBELAB_HOST_KEY, "ssh-ed25519 AAAAhostkey");
    assert.equal(env.KUBELAB_SSH_KEY, fs.readFileSync(KEY_FILE, "utf8"));
    assert.equal(env.KUBELAB_SCRIPT, readNodeScript("network-check"));
    assert.equal(env.KUBELAB_UNREACHABLE, "fail");
    assert.equal(env.SSH_AUTH_SOCK, "/run/agent.sock", "the agent stays usable");
    const args = collector.args.slice(2);
    assert.ok(args.includes("KUBECONFIG=/etc/kubernetes/admin.conf"), args.join(" "));
    assert.ok(args.includes("NODE_ADDRESSES=cp-1=192.168.56.10 worker-1=192.168.56.11 worker-2=192.168.56.12"));
    assert.ok(args.includes("SERVICES=vote/redis:6379"));
    assert.ok(args.includes("TIMEOUT_SECONDS=60"));
    assert.ok(args.includes("KEEP_PROBES=1"));
    assert.equal(collector.options.passStderr, true);
    assert.ok(!collector.args.join(" ").includes("PRIVATE KEY"), "the key never reaches argv");
    assert.ok(!h.calls.some((c) => c.program === "kubectl"), "no kubectl on this machine");
  });

  it("exits 2 when the stack cannot be read", () => {
    const h = harness({ outputs: { status: 255, stdout: "", stderr: "error: no stack named 'lab' found\n" } });
    assert.equal(runVerify([], h.io), 2);
    assert.equal(h.err(), "verify: cannot read the outputs of stack lab: error: no stack named 'lab' found\n");
  });

  it("exits 2 when the Pulumi CLI is not installed", () => {
    const h = harness({
      outputs: { status: null, stdout: "", stderr: "", error: new Error("spawnSync pulumi ENOENT") },
    });
    assert.equal(runVerify([], h.io), 2);
    assert.match(h.err(), /cannot run the Pulumi CLI \(spawnSync pulumi ENOENT\)/);
  });

  it("exits 2 when the control plane cannot be reached, or the collector fails or prints something unreadable", () => {
    const unreachable = harness({ collector: { status: 255, stdout: "", stderr: "" } });
    assert.equal(runVerify([], unreachable.io), 2);
    assert.equal(unreachable.err(), "verify: could not reach cp-1 over SSH (see above)\n");
    const failed = harness({ collector: { status: 1, stdout: "", stderr: "" } });
    assert.equal(runVerify([], failed.io), 2);
    assert.match(failed.err(), /network-check\.sh failed on cp-1 \(exit 1; its output is above\)/);
    const garbled = harness({ collector: ok("not json") });
    assert.equal(runVerify([], garbled.io), 2);
    assert.match(garbled.err(), /did not print a JSON document/);
  });

  it("exits 2 naming every output the stack lacks", () => {
    const h = harness({ outputs: ok(JSON.stringify({ nodes: [] })) });
    assert.equal(runVerify([], h.io), 2);
    assert.equal(
      h.err(),
      [
        "verify: stack lab lacks what verify needs (run `npm run up` first):",
        "  - networkCheck: missing (deployed with kubelab:verify.enabled false?)",
        "  - nodes: missing or empty (a list of {name, address})",
        "",
      ].join("\n"),
    );
  });

  it("exits 2 on a bad argument", () => {
    const h = harness({});
    assert.equal(runVerify(["--timeout", "soon"], h.io), 2);
    assert.match(h.err(), /must be a whole number of seconds/);
  });
});

describe("verifyInputs", () => {
  it("falls back to the check's own node list and keeps the CNI's PodCIDR rule", () => {
    const inputs = verifyInputs("lab", {
      ...outputs,
      nodes: undefined,
      networkCheck: {
        ...outputs.networkCheck,
        requireNodePodCidr: false,
        nodes: [{ name: "cp-1", address: "10.0.0.1" }],
      },
    });
    assert.deepEqual(inputs.settings.nodes, [{ name: "cp-1", address: "10.0.0.1" }]);
    assert.equal(inputs.settings.requireNodePodCidr, false);
  });
});
