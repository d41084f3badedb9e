// The ha stack's kube-vip VIP, wired: it is the control-plane endpoint and a certificate SAN, and
// its static pod reaches kubeadm init and every control-plane join (never a worker's).
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { DEFAULT_KUBE_VIP_IMAGE } from "../../../components/cluster/kube-vip";
import { render } from "../../mocks";

test("the VIP becomes controlPlaneEndpoint and a certificate SAN", async () => {
  const run = await render({ stack: "ha" });
  assert.equal(run.run.outputs.controlPlaneEndpoint, "192.168.56.100:6443");
  const [, cluster] = YAML.parseAllDocuments(run.files.get("kubeadm/init.yaml") as string).map((d) => d.toJSON());
  assert.equal(cluster.controlPlaneEndpoint, "192.168.56.100:6443");
  assert.ok(cluster.apiServer.certSANs.includes("192.168.56.100"));
});

test("kube-vip's manifest reaches init and the control-plane joins, never a worker's join", async () => {
  const run = await render({ stack: "ha" });
  const init = run.files.get("nodes/cp-1/init.sh") as string;
  assert.match(init, / VIP=192\.168\.56\.100 /);
  assert.match(init, /KUBE_VIP_MANIFEST='apiVersion: v1\nkind: Pod/);
  assert.ok(init.includes(`image: ${DEFAULT_KUBE_VIP_IMAGE}`));
  for (const cp of ["cp-2", "cp-3"])
    assert.match(run.files.get(`nodes/${cp}/join.sh`) as string, / VIP=192\.168\.56\.100 /);
  for (const worker of ["worker-1", "worker-2"])
    assert.doesNotMatch(run.files.get(`nodes/${worker}/join.sh`) as string, /VIP=/);
});
