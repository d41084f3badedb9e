// The config checks that look beyond the stack's values: local machines (named after the stack),
// the control planes' VIP and the offline bundle on disk, in the same one round as the rest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLabConfig } from "../config";
import { fakeBundleOverrides, makeBundle } from "./fake-bundle";
import { messagesOf, parse, testKeys } from "./helpers";

const localRaw = (nodes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  nodes: { provider: "local", controlPlanes: 1, workers: 2, ...nodes },
  network: { nodeCidr: "172.31.240.0/24", cni: "flannel" },
  app: { networkPolicies: false },
  ...extra,
});

test("local nodes: counts, the machine settings and addresses from nodeCidr", () => {
  const config = parseLabConfig(localRaw(), { ...testKeys, stack: "e2e" });
  assert.deepEqual(
    config.nodes.specs.map((s) => `${s.role} ${s.name}`),
    ["control-plane cp-1", "worker worker-1", "worker worker-2"],
  );
  assert.deepEqual(config.nodes.local, { bridge: "kubelab0", release: "bookworm", memory: "4G" });
});

test("local nodes: settings node.sh would refuse are config problems, named with the fix", () => {
  assert.deepEqual(messagesOf(localRaw({ local: { bridge: "a-bridge-name-too-long" } }, { ssh: { port: 2222 } })), [
    "- kubelab:nodes.local.bridge = \"a-bridge-name-too-long\": not a Linux interface name: 1-15 letters, digits, '_', '.' or '-', e.g. kubelab0",
    "- kubelab:ssh.port = 2222: local nodes run sshd on port 22; remove kubelab:ssh.port or set it to 22",
  ]);
});

test("a VIP becomes the control-plane endpoint; auto takes the highest free address of nodeCidr", () => {
  const config = parse(localRaw({ controlPlanes: 3, vip: { address: "auto" } }));
  assert.equal(config.nodes.vip, "172.31.240.254");
  assert.equal(config.nodes.controlPlaneEndpoint, "172.31.240.254:6443");
  assert.deepEqual(config.warnings, []);
});

test("HA on local nodes without a VIP names nodes.vip as the fix; a VIP with one control plane only warns", () => {
  assert.deepEqual(messagesOf(localRaw({ controlPlanes: 3 })), [
    "- kubelab:nodes.controlPlaneEndpoint = (not set): required with 3 control planes: set kubelab:nodes.vip to {address: auto} and kube-vip holds a virtual IP on the control planes",
  ]);
  const single = parse(localRaw({ vip: { address: "auto" } }));
  assert.equal(single.warnings.length, 1);
  assert.match(
    single.warnings[0],
    /^kubelab:nodes\.vip = \{"address":"auto"\}: with 1 control plane the VIP has nowhere to move/,
  );
});

test("an offline bundle is validated with the rest and handed on; its images become the plan's", () => {
  const bundle = makeBundle();
  const raw = localRaw({}, { kubernetesVersion: "1.36.3", offline: { bundle } });
  const config = parse(raw);
  assert.equal(config.offline?.dir, bundle);
  assert.equal(config.offline?.manifest.kubernetesVersion, "v1.36.3");
  assert.deepEqual(
    messagesOf({ ...raw, kubernetesVersion: "1.36", network: { nodeCidr: "172.31.240.0/24", cni: "calico" } }),
    [
      '- kubelab:kubernetesVersion = "1.36": must be the bundle\'s exact patch: the bundle holds Kubernetes v1.36.3, so set 1.36.3 (or build a bundle for the version you want with npm run bundle -- --kubernetes v<patch>)',
      '- kubelab:network.cni = "calico": offline installs point only flannel\'s chart at bundle images; set network.cni to flannel',
    ],
  );
});

test("the fake bundle replaces only a bundle the stack names", () => {
  assert.deepEqual(fakeBundleOverrides({ "kubelab:offline": "{}" }), {});
  const over = fakeBundleOverrides({
    "kubelab:offline": JSON.stringify({ bundle: "~/.cache/kubelab/bundles/1.36.3" }),
  });
  assert.notEqual(JSON.parse(over["kubelab:offline"]).bundle, "~/.cache/kubelab/bundles/1.36.3");
});
