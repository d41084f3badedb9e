// An offline stack on local machine containers, rendered: the bundle's steps, what kubeadm and the
// addon are told, and that nothing a node runs reaches for a package repository or a download.
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { readStackFile, stackFilePath } from "../../cli/stack-file";
import { fakeBundleOverrides } from "../fake-bundle";
import { render, resource, transitiveDeps } from "../mocks";

async function renderOffline(stack: string) {
  return render({ stack, overrides: fakeBundleOverrides(readStackFile(stackFilePath(stack)).config) });
}

test("offline, each node is prepared, gets the bundle and installs it before kubeadm runs", async () => {
  const run = await renderOffline("e2e");
  for (const node of ["cp-1", "worker-1", "worker-2"]) {
    const install = resource(run, `cluster-${node}-install-bundle`);
    assert.equal(install.type, "command:local:Command");
    assert.ok(install.dependsOn.includes(`cluster-${node}-prepare`), node);
    const kubeadm = node === "cp-1" ? "cluster-cp-1-init" : `cluster-${node}-join`;
    assert.ok(transitiveDeps(run, kubeadm).has(`cluster-${node}-install-bundle`), kubeadm);
  }
  const prepare = run.files.get("nodes/cp-1/prepare.sh") as string;
  assert.match(prepare, / OFFLINE=true ALLOW_CGROUP_V1=true RESTRICT_OOM_SCORE_ADJ=true /);
  const install = run.files.get("nodes/cp-1/install-bundle.sh") as string;
  assert.match(install, /KUBELAB_UPLOAD_TO=\/var\/tmp\/kubelab-bundle-[0-9a-f]{16} /);
  assert.match(install, / RESTRICT_OOM_SCORE_ADJ=true/);
});

test("no node script of an offline stack calls a package repository, curl or wget", async () => {
  for (const stack of ["e2e", "local"]) {
    const run = await renderOffline(stack);
    const scripts = [...run.files].filter(([file]) => file.startsWith("nodes/"));
    assert.ok(scripts.length > 10, stack);
    for (const [file, text] of scripts) {
      // What the step runs with its inputs; the script below it is checked by the bats suites
      // (prepare.bats: offline, no package source, download or package step runs).
      const command = text.split("\n# ---- ")[0];
      assert.doesNotMatch(
        command,
        /\b(curl|wget|apt-get|apt-key|add-apt-repository)\b|https?:\/\//,
        `${stack} ${file}`,
      );
    }
  }
});

test("kubeadm gets the bundle's version, image repository and tags, and accepts the machine containers", async () => {
  const run = await renderOffline("e2e");
  const [init, cluster, kubelet, proxy] = YAML.parseAllDocuments(run.files.get("kubeadm/init.yaml") as string).map(
    (d) => d.toJSON(),
  );
  assert.deepEqual(init.nodeRegistration.ignorePreflightErrors, ["SystemVerification"]);
  assert.equal(cluster.kubernetesVersion, "v1.36.3");
  assert.equal(cluster.imageRepository, "kubelab.local/k8s");
  assert.deepEqual(cluster.etcd, { local: { imageTag: "3.6.8-0" } });
  assert.deepEqual(cluster.dns, { imageTag: "v1.14.2" });
  assert.equal(kubelet.failCgroupV1, false);
  assert.deepEqual(proxy.conntrack, { maxPerCore: 0 });
});

test("kubelet on machine containers never evicts for the host's disk, and keeps its memory threshold", async () => {
  const documents = async (stack: string) =>
    YAML.parseAllDocuments((await renderOffline(stack)).files.get("kubeadm/init.yaml") as string).map((d) =>
      d.toJSON(),
    );
  const kubelet = (await documents("e2e")).find((d) => d.kind === "KubeletConfiguration");
  for (const signal of ["nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree"])
    assert.equal(kubelet.evictionHard[signal], "0%", signal);
  assert.equal(kubelet.evictionHard["memory.available"], "100Mi");
});

test("flannel comes from the bundle's chart with the bundle's images; the app and probe too", async () => {
  const run = await renderOffline("e2e");
  const chart = resource(run, "network-flannel");
  assert.match(String(chart.inputs.chart), /\/charts\/flannel-v0\.28\.10\.tgz$/);
  assert.equal(chart.inputs.repositoryOpts, undefined);
  const values = chart.inputs.values as { flannel: Record<string, { repository?: string; image?: unknown }> };
  assert.deepEqual(values.flannel.image, { repository: "kubelab.local/flannel-io/flannel", tag: "v0.28.10" });
  const vote = resource(run, "app-deployment-vote").inputs as {
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  assert.equal(vote.spec.template.spec.containers[0].image, "kubelab.local/app/vote:1.0.0");
  const settings = run.run.outputs.networkCheck as { probeImage: string };
  assert.equal(settings.probeImage, "kubelab.local/e2e-test-images/agnhost:2.66.1");
});
