import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { commandEnv, plausibleObservations } from "../../../components/verify/mocked";
import { NetworkReport } from "../../../components/verify/evaluate";
import { NetworkCheck } from "../../../components/verify/network-check";
import { baseArgs, byName, deploy, fakeNode } from "./harness";
import { runProgram } from "../../../lib/mock-runtime";

describe("NetworkCheck", () => {
  it("runs network-check.sh on the control plane after the app, every join and the node itself", async () => {
    const run = await deploy();
    const check = byName(run.resources, "verify");
    assert.equal(check.type, "kubelab:verify:NetworkCheck");
    const collect = byName(run.resources, "verify-collect");
    assert.equal(collect.type, "command:remote:Command");
    assert.equal(collect.parent, "verify");
    for (const dep of ["app", "cluster-worker-1-join", "cluster-worker-2-join", "vm-cp-1"])
      assert.ok(collect.dependsOn.includes(dep), `collect waits for ${dep}: ${collect.dependsOn.join(", ")}`);
  });

  it("hands the script its targets as env values, never through `environment`", async () => {
    const run = await deploy();
    const collect = byName(run.resources, "verify-collect");
    const create = String(collect.inputs.create);
    assert.match(create, /\/network-check\.sh \|\| \{/);
    assert.equal(collect.inputs.environment, undefined);
    assert.deepEqual(commandEnv(create), {
      KUBECONFIG: "/etc/kubernetes/admin.conf",
      PROBE_IMAGE: "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
      PROBE_NAMESPACE: "kubelab-netcheck",
      SERVICES: "vote/redis:6379 vote/db:5432",
      NODEPORTS: "vote/vote:30004 vote/result:30005",
      TIMEOUT_SECONDS: "180",
      NODE_ADDRESSES: "cp-1=192.168.56.10 worker-1=192.168.56.11 worker-2=192.168.56.12",
    });
  });

  it("removes its probes on destroy with the cleanup script, best effort", async () => {
    const run = await deploy();
    const del = String(byName(run.resources, "verify-collect").inputs.delete);
    assert.match(del, /\/network-check-cleanup\.sh \|\| .* \|\| true$/);
    assert.deepEqual(commandEnv(del), {
      KUBECONFIG: "/etc/kubernetes/admin.conf",
      PROBE_NAMESPACE: "kubelab-netcheck",
    });
  });

  it("re-runs when nodes, Services or ranges change", async () => {
    const run = await deploy();
    const [settings] = byName(run.resources, "verify-collect").inputs.triggers as Record<string, unknown>[];
    assert.deepEqual(settings.nodes, [
      { name: "cp-1", address: "192.168.56.10" },
      { name: "worker-1", address: "192.168.56.11" },
      { name: "worker-2", address: "192.168.56.12" },
    ]);
    assert.equal(settings.podCidr, "10.244.0.0/16");
    assert.equal((settings.services as unknown[]).length, 2);
  });

  it("computes the report and topology from the collected observations", async () => {
    const run = await deploy();
    const report = run.outputs.networkReport as NetworkReport;
    assert.equal(report.ok, true);
    assert.equal(report.requirements.length, 6);
    assert.match(report.requirements[4].summary, /^2 NodePorts answered on all 3 node addresses$/);
    assert.match(run.outputs.topology as string, /^# kubelab network topology/);
    assert.match(run.outputs.topology as string, /np1\{\{"vote\/result<br\/>NodePort 30005/);
  });

  it("exposes what `npm run verify` needs, with the CNI deciding the node PodCIDR rule", async () => {
    const run = await deploy();
    const settings = run.outputs.networkCheck as Record<string, unknown>;
    assert.equal(settings.requireNodePodCidr, false, "calico carves its own blocks");
    assert.equal(settings.mode, "enforce");
    assert.equal(settings.serviceCidr, "10.96.0.0/12");
  });

  it("fails the program with the formatted report when a requirement fails in enforce mode", () => {
    // A failed apply surfaces as unhandled rejections (how `pulumi up` notices it): watch them in
    // a child process so they stay out of this test runner.
    const harness = path.join(__dirname, "harness.ts");
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `process.on("unhandledRejection", () => {});
         require(${JSON.stringify(harness)}).deploy("nat").then(
           () => console.log("RESOLVED"),
           (e) => console.log("REJECTED " + e.message));`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.match(child.stdout, /^REJECTED .*does not satisfy the Kubernetes networking model:/m);
    assert.match(child.stdout, /FAIL pod-to-pod-no-nat/);
    assert.match(child.stdout, /cp-1 \(10\.244\.0\.10\) -> worker-1 \(10\.244\.1\.10\): server saw 192\.168\.56\.10/);
    assert.match(child.stdout, /kubelab:verify\.mode to report/);
  });

  it("only records the failing report in report mode", async () => {
    const run = await deploy("nat", { mode: "report" });
    const report = run.outputs.networkReport as NetworkReport;
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.requirements.filter((r) => !r.ok).map((r) => r.requirement),
      ["pod-to-pod-no-nat"],
    );
  });

  it("rejects invalid targets before registering anything, listing every problem", async () => {
    let error: Error | undefined;
    const run = await runProgram(
      () => {
        const cp = fakeNode("cp-1", "192.168.56.10");
        try {
          new NetworkCheck("verify", {
            ...baseArgs(cp),
            podCidr: "10.244.0.0",
            services: [{ namespace: "vote", name: "Redis", port: 70000 }],
          });
        } catch (e) {
          error = e as Error;
        }
        return {};
      },
      { config: {} },
    );
    assert.equal(
      error?.message,
      [
        'invalid NetworkCheck "verify":',
        '  - podCidr = "10.244.0.0": must be a CIDR such as 10.244.0.0/16',
        '  - services[0] = "vote/Redis": namespace and name must be DNS labels',
        "  - services[0].port = 70000: must be 1-65535",
      ].join("\n"),
    );
    assert.deepEqual(
      run.resources.filter((r) => r.type.startsWith("kubelab:verify")),
      [],
    );
  });
});

describe("mocked network check output", () => {
  it("draws pod IPs from per-node ranges of the pod CIDR and the kubernetes IP from the service CIDR", () => {
    const obs = plausibleObservations(
      { NODE_ADDRESSES: "cp-1=10.0.0.1 worker-1=10.0.0.2", SERVICES: "", NODEPORTS: "" },
      { podCidr: "10.32.0.0/16", serviceCidr: "10.100.0.0/16" },
    );
    assert.deepEqual(
      obs.probes.map((p) => p.ip),
      ["10.32.0.10", "10.32.1.10"],
    );
    assert.equal(obs.kubernetesServiceIp, "10.100.0.1");
    assert.equal(obs.podToPod.length, 2);
  });
});
