// kube-vip's static pod: the Kubernetes Pod schema (kubernetes-models 4.5.x carries v1.33's, see
// test/components/app/manifests-schema.test.ts), its settings, and the YAML layout kube-vip.sh edits.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Pod } from "kubernetes-models/v1/Pod";
import type { IPod } from "kubernetes-models/v1/Pod";
import {
  ADMIN_KUBECONFIG,
  DEFAULT_KUBE_VIP_IMAGE,
  KubeVipArgs,
  SUPER_ADMIN_KUBECONFIG,
  kubeVipManifest,
  kubeVipManifestYaml,
} from "../../../components/cluster/kube-vip";

const VIP = "192.168.64.254";
const SCRIPT_FIXTURES = path.join(__dirname, "..", "..", "scripts", "kube-vip");

const pod = (args: Partial<KubeVipArgs> = {}) => kubeVipManifest({ address: VIP, ...args }) as unknown as IPod;
const container = (p: IPod) => p.spec?.containers[0];
const env = (p: IPod) =>
  (container(p)?.env ?? []).map((e) => [e.name, e.value ?? `fieldRef:${e.valueFrom?.fieldRef?.fieldPath}`]);

const variants: Record<string, Partial<KubeVipArgs>> = {
  defaults: {},
  "interface and the bundle's image": { interface: "eth1", image: "kubelab.local/kube-vip/kube-vip:v1.0.0" },
  "super-admin.conf, port 8443, slower election": {
    kubeconfigPath: SUPER_ADMIN_KUBECONFIG,
    port: 8443,
    leaseSeconds: 15,
    renewSeconds: 10,
    retrySeconds: 2,
  },
};

for (const [variant, args] of Object.entries(variants)) {
  test(`the manifest validates against the Kubernetes Pod schema (${variant})`, () => {
    assert.doesNotThrow(() => new Pod(pod(args)).validate());
  });
}

test("the schema check rejects a malformed pod, so the passes above mean something", () => {
  const broken = pod();
  (broken.spec as unknown as Record<string, unknown>).hostNetwork = "yes";
  assert.throws(() => new Pod(broken).validate(), /hostNetwork must be boolean/);
  const nameless = pod();
  delete (container(nameless) as unknown as Record<string, unknown>).name;
  assert.throws(() => new Pod(nameless).validate(), /name/);
});

test("env: ARP, control plane only, leader election at 5/3/1 s, the VIP; no Service load balancing", () => {
  assert.deepEqual(env(pod()), [
    ["vip_arp", "true"],
    ["port", "6443"],
    ["vip_nodename", "fieldRef:spec.nodeName"],
    ["vip_subnet", "32"],
    ["cp_enable", "true"],
    ["cp_namespace", "kube-system"],
    ["svc_enable", "false"],
    ["vip_leaderelection", "true"],
    ["vip_leasename", "plndr-cp-lock"],
    ["vip_leaseduration", "5"],
    ["vip_renewdeadline", "3"],
    ["vip_retryperiod", "1"],
    ["prometheus_server", "127.0.0.1:2112"],
    ["address", VIP],
  ]);
});

test("a named interface and other timings and port reach the env", () => {
  const p = pod({ interface: "eth1", port: 8443, leaseSeconds: 15, renewSeconds: 10, retrySeconds: 2 });
  const values = Object.fromEntries(env(p));
  assert.equal(values.vip_interface, "eth1");
  assert.equal(values.port, "8443");
  assert.deepEqual([values.vip_leaseduration, values.vip_renewdeadline, values.vip_retryperiod], ["15", "10", "2"]);
  assert.equal(
    env(pod()).find(([name]) => name === "vip_interface"),
    undefined,
  );
});

test("the kubeconfig: a host file (never created as a directory) mounted read-only where kube-vip reads it", () => {
  for (const kubeconfigPath of [ADMIN_KUBECONFIG, SUPER_ADMIN_KUBECONFIG]) {
    const p = pod({ kubeconfigPath });
    assert.deepEqual(p.spec?.volumes, [{ name: "kubeconfig", hostPath: { path: kubeconfigPath, type: "File" } }]);
    assert.deepEqual(container(p)?.volumeMounts, [
      { name: "kubeconfig", mountPath: "/etc/kubernetes/admin.conf", readOnly: true },
    ]);
  }
  assert.equal(pod().spec?.volumes?.[0].hostPath?.path, ADMIN_KUBECONFIG);
});

test("the pod: kube-system, host network, `kubernetes` on loopback, only NET_ADMIN and NET_RAW, not privileged", () => {
  const p = pod();
  assert.equal(p.metadata?.namespace, "kube-system");
  assert.equal(p.metadata?.name, "kube-vip");
  assert.equal(p.spec?.hostNetwork, true);
  assert.deepEqual(p.spec?.hostAliases, [{ ip: "127.0.0.1", hostnames: ["kubernetes"] }]);
  const c = container(p);
  assert.deepEqual(c?.args, ["manager"]);
  assert.equal(c?.image, DEFAULT_KUBE_VIP_IMAGE);
  assert.equal(c?.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(c?.securityContext, {
    capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
    allowPrivilegeEscalation: false,
  });
  assert.equal(p.spec?.containers.length, 1);
});

test("the default image is kube-vip v1.0.0 from ghcr.io, pinned by tag", () => {
  assert.equal(DEFAULT_KUBE_VIP_IMAGE, "ghcr.io/kube-vip/kube-vip:v1.0.0");
});

test("bad arguments are refused with every problem named", () => {
  assert.throws(
    () =>
      kubeVipManifest({
        address: "192.168.64.0/24",
        port: 70000,
        image: "Not An Image",
        interface: "eth0; reboot",
        kubeconfigPath: "/root/.kube/config",
      }),
    {
      message:
        'kube-vip manifest: address "192.168.64.0/24" is not an IPv4 address; port 70000 is not 1-65535; ' +
        'image "Not An Image" is not an image reference (REPO:TAG); interface "eth0; reboot" is not a Linux ' +
        'interface name (1-15 of A-Z a-z 0-9 _ . -); kubeconfigPath "/root/.kube/config" must be ' +
        "/etc/kubernetes/admin.conf or /etc/kubernetes/super-admin.conf",
    },
  );
});

test("leader election timings client-go would refuse are refused here", () => {
  assert.throws(() => kubeVipManifest({ address: VIP, leaseSeconds: 3, renewSeconds: 3 }), {
    message: "kube-vip manifest: lease/renew/retry seconds 3/3/1 must satisfy lease > renew > 1.2 x retry, e.g. 5/3/1",
  });
  assert.throws(() => kubeVipManifest({ address: VIP, retrySeconds: 0.5 }), {
    message: "kube-vip manifest: lease/renew/retry seconds 5/3/0.5 must be whole seconds >= 1",
  });
});

test("the YAML is the layout kube-vip.sh edits, byte for byte its bats fixtures", () => {
  const plain = kubeVipManifestYaml({ address: VIP });
  assert.equal(plain, fs.readFileSync(path.join(SCRIPT_FIXTURES, "manifest.yaml"), "utf8"));
  const eth1 = kubeVipManifestYaml({ address: VIP, interface: "eth1" });
  assert.equal(eth1, fs.readFileSync(path.join(SCRIPT_FIXTURES, "manifest-eth1.yaml"), "utf8"));
  assert.equal(
    kubeVipManifestYaml({ address: VIP, interface: "eth1", kubeconfigPath: SUPER_ADMIN_KUBECONFIG }),
    fs.readFileSync(path.join(SCRIPT_FIXTURES, "manifest-eth1-super-admin.yaml"), "utf8"),
  );
  // kube-vip.sh swaps the one kubeconfig `path:` line and inserts vip_interface as the env list's first item.
  assert.deepEqual(plain.match(/^ +path: .*$/gm), ["        path: /etc/kubernetes/admin.conf"]);
  assert.deepEqual(plain.match(/^ +env:$/gm), ["      env:"]);
  assert.match(plain, /^ {6}env:\n {8}- name: vip_arp\n/m);
  assert.match(eth1, /^ {6}env:\n {8}- name: vip_interface\n {10}value: "eth1"\n {8}- name: vip_arp\n/m);
  assert.match(plain, /^ {8}- name: address\n {10}value: 192\.168\.64\.254$/m);
  // YAML 1.1 readers (kubelet) must see strings, not booleans or numbers.
  assert.match(plain, /- name: vip_arp\n +value: "true"/);
  assert.match(plain, /- name: port\n +value: "6443"/);
});
