import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readNodeScript } from "../../../components/node-scripts";
import { runnerText } from "../../../components/ssh/over-ssh";
import { gateSettings, plausibleObservations } from "../../../components/verify/mocked";
import { NetworkReport } from "../../../components/verify/evaluate";
import { NetworkCheck } from "../../../components/verify/network-check";
import { baseArgs, byName, deploy, fakeNode } from "./harness";
import { isSecretValue, redactSecrets, revealSecrets, runProgram } from "../../../cli/render/mock-runtime";

describe("NetworkCheck", () => {
  it("checks from this machine (gate.ts over SSH to the control plane) after the app, every join and the node", async () => {
    const run = await deploy();
    const check = byName(run.resources, "verify");
    assert.equal(check.type, "kubelab:verify:NetworkCheck");
    const collect = byName(run.resources, "verify-collect");
    assert.equal(collect.type, "command:local:Command");
    assert.equal(collect.parent, "verify");
    for (const dep of ["app", "cluster-worker-1-join", "cluster-worker-2-join", "vm-cp-1"])
      assert.ok(collect.dependsOn.includes(dep), `collect waits for ${dep}: ${collect.dependsOn.join(", ")}`);
    const create = String(collect.inputs.create);
    assert.match(create, /^# kubelab step: node=cp-1 step=network-check\ncd '?\/.*'? && /);
    assert.match(
      create,
      / KUBELAB_NODE=cp-1 KUBELAB_STEP=network-check KUBELAB_HOST=192\.168\.56\.10 KUBELAB_PORT=22 KUBELAB_USER=ubuntu KUBELAB_HOST_KEY='ssh-ed25519 AAAAhost' node_modules\/\.bin\/tsx components\/verify\/gate\.ts '\{/,
    );
    assert.deepEqual(gateSettings(create), run.outputs.networkCheck);
  });

  it("keeps the SSH key, the runner and the cleanup script in a secret environment", async () => {
    const run = await deploy();
    const collect = byName(run.resources, "verify-collect");
    assert.ok(isSecretValue(collect.inputs.environment), "environment is a secret");
    const env = revealSecrets(collect.inputs.environment) as Record<string, string>;
    assert.equal(env.KUBELAB_SSH_KEY, "KEY");
    assert.equal(env.KUBELAB_OVER_SSH, runnerText());
    assert.equal(env.KUBELAB_SCRIPT, readNodeScript("network-check-cleanup"));
    assert.ok(!String(collect.inputs.create).includes("KEY\n") && !String(collect.inputs.delete).includes("KEY\n"));
  });

  it("removes its probes on destroy over SSH, giving up at once on a control plane that is gone", async () => {
    const run = await deploy();
    const del = String(byName(run.resources, "verify-collect").inputs.delete);
    assert.equal(
      del,
      "# kubelab step: node=cp-1 step=network-check-delete\n" +
        "KUBELAB_NODE=cp-1 KUBELAB_STEP=network-check-delete KUBELAB_HOST=192.168.56.10 KUBELAB_PORT=22 " +
        "KUBELAB_USER=ubuntu KUBELAB_HOST_KEY='ssh-ed25519 AAAAhost' " +
        'bash -c "$KUBELAB_OVER_SSH" run-over-ssh.sh network-check-cleanup.sh ' +
        "KUBECONFIG=/etc/kubernetes/admin.conf PROBE_NAMESPACE=kubelab-netcheck",
    );
  });

  it("re-runs when nodes, Services or ranges change, and only then: nothing else is in its inputs", async () => {
    const first = byName((await deploy()).resources, "verify-collect");
    const again = byName((await deploy()).resources, "verify-collect");
    assert.deepEqual(redactSecrets(again.inputs), redactSecrets(first.inputs));
    assert.equal(first.inputs.triggers, undefined);
    const settings = gateSettings(String(first.inputs.create)) as unknown as Record<string, unknown>;
    assert.deepEqual(settings.nodes, [
      { name: "cp-1", address: "192.168.56.10" },
      { name: "worker-1", address: "192.168.56.11" },
      { name: "worker-2", address: "192.168.56.12" },
    ]);
    const moved = byName((await deploy("verify", { podCidr: "10.32.0.0/16" })).resources, "verify-collect");
    assert.notEqual(moved.inputs.create, first.inputs.create);
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
