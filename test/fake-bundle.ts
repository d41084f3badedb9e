// A small but complete fake offline bundle (flannel, Kubernetes 1.36.3, the app, the probe and
// kube-vip): tiny files with the right checksums, for tests of the offline path and of offline stacks.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const K8S = "kubelab.local/k8s";
export const TIERS = ["vote", "redis", "worker", "db", "result"];
export type Spec = { kind: string; path: string; [key: string]: unknown };

/** Every file a complete flannel bundle for 1.36.3 lists, each with small content of its own. */
export function specs(): Spec[] {
  const bin = (name: string, install: string) => ({ kind: "binary", path: `bin/${name}`, install });
  const image = (name: string, ref: string, purpose: string) => ({
    kind: "image",
    path: `images/${name}.tar`,
    ref,
    purpose,
  });
  return [
    ...["kubeadm", "kubelet", "kubectl", "containerd", "containerd-shim-runc-v2", "ctr"].map((b) =>
      bin(b, `/usr/local/bin/${b}`),
    ),
    bin("runc", "/usr/local/sbin/runc"),
    ...["bridge", "host-local", "loopback", "portmap"].map((p) => bin(p, `/opt/cni/bin/${p}`)),
    ...["containerd.service", "kubelet.service", "kubelet.service.d/10-kubeadm.conf"].map((u) => ({
      kind: "unit",
      path: `units/${u}`,
      install: `/etc/systemd/system/${u}`,
    })),
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map((c) =>
      image(c, `${K8S}/${c}:v1.36.3`, c),
    ),
    image("etcd", `${K8S}/etcd:3.6.8-0`, "etcd"),
    image("coredns", `${K8S}/coredns:v1.14.2`, "coredns"),
    image("pause", `${K8S}/pause:3.10.2`, "pause"),
    image("flannel", "kubelab.local/flannel-io/flannel:v0.28.10", "cni:flannel/flannel"),
    image(
      "flannel-cni-plugin",
      "kubelab.local/flannel-io/flannel-cni-plugin:v1.9.1-flannel3",
      "cni:flannel/cni-plugin",
    ),
    image("agnhost", "kubelab.local/e2e-test-images/agnhost:2.66.1", "probe"),
    image("kube-vip", "kubelab.local/kube-vip/kube-vip:v1.0.0", "kube-vip"),
    ...TIERS.map((t) => image(`app-${t}`, `kubelab.local/app/${t}:1.0.0`, `app:${t}`)),
    { kind: "chart", path: "charts/flannel-v0.28.10.tgz", cni: "flannel", version: "v0.28.10" },
  ];
}

export const sha = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-bundle-test-"));
}

/** Writes the files of `list` and a manifest.json describing them (`edit` may change it first). */
export function makeBundle(list = specs(), edit: (m: Record<string, unknown>) => void = () => {}): string {
  const dir = path.join(tmpDir(), "bundle");
  const files = list.map((spec) => {
    const content = `fake ${spec.kind} ${spec.path}\n`;
    fs.mkdirSync(path.dirname(path.join(dir, spec.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, spec.path), content);
    return { ...spec, sha256: sha(content), size: Buffer.byteLength(content) };
  });
  const manifest: Record<string, unknown> = {
    schemaVersion: 1,
    kubernetesVersion: "v1.36.3",
    imageRepository: K8S,
    etcdImageTag: "3.6.8-0",
    corednsImageTag: "v1.14.2",
    pauseImage: `${K8S}/pause:3.10.2`,
    files,
  };
  edit(manifest);
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

let shared: string | undefined;

/**
 * Config overrides that point an offline stack at the fake bundle (stack files name the real one,
 * which `npm run bundle` writes into the kubelab cache and tests do not need).
 */
export function fakeBundleOverrides(config: Record<string, string>): Record<string, string> {
  const offline = JSON.parse(config["kubelab:offline"] ?? "{}") as { bundle?: string };
  if (!offline.bundle) return {};
  shared ??= makeBundle();
  return { "kubelab:offline": JSON.stringify({ ...offline, bundle: shared }) };
}
