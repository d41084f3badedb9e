// What `npm run render` writes for the shipped stacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { render } from "../mocks";

test("render of lab writes node scripts, kubeadm files, the addon values, app manifests, policy and topology", async () => {
  const run = await render({ stack: "lab" });
  const files = [...run.files.keys()];
  for (const file of ["plan.json", "policy.json", "topology.md", "kubeadm/init.yaml", "values/network-calico.yaml"]) {
    assert.ok(files.includes(file), file);
  }
  for (const node of ["cp-1", "worker-1", "worker-2"]) assert.ok(files.includes(`nodes/${node}/prepare.sh`), node);
  for (const kind of ["deployment-vote", "service-vote", "service-redis", "networkpolicy-default-deny-ingress"]) {
    assert.ok(files.includes(`manifests/vote/${kind}.yaml`), kind);
  }
  assert.match(run.files.get("topology.md") as string, /```mermaid/);
  assert.match(
    run.files.get("topology.md") as string,
    /^# kubelab network topology\n\n> \*\*Mocked\.\*\* `npm run render` runs offline: every observation below is made up/,
  );
  const installation = YAML.parse(run.files.get("manifests/cluster/installation-default.yaml") as string);
  assert.equal(installation.spec.calicoNetwork.ipPools[0].cidr, "10.244.0.0/16");
});

test("render of ha shows three control planes joining one after another on the upload-certs path", async () => {
  const run = await render({ stack: "ha" });
  const plan = JSON.parse(run.files.get("plan.json") as string);
  const deps = (name: string) => plan.resources.find((r: { name: string }) => r.name === name).dependsOn as string[];
  assert.ok(deps("cluster-cp-3-join").includes("cluster-cp-2-join"));
  assert.match(run.files.get("nodes/cp-1/init.sh") as string, / UPLOAD_CERTS=true /);
  assert.match(run.files.get("nodes/cp-1/join-token-cp-2.sh") as string, / CONTROL_PLANE_JOIN=true /);
  const join = YAML.parse(run.files.get("kubeadm/join-cp-2.yaml") as string);
  assert.equal(join.controlPlane.certificateKey, "[secret]");
  assert.equal(join.discovery.bootstrapToken.token, "[secret]");
  assert.equal(join.discovery.bootstrapToken.apiServerEndpoint, "192.168.56.100:6443");
});
