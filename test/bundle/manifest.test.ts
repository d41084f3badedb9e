import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleManifestSchema } from "../../lib/bundle-manifest";
import { allImages } from "../../scripts/bundle/lib/images";
import { bundleLayout } from "../../scripts/bundle/lib/layout";
import { buildManifest, digestFile, verifyBundle } from "../../scripts/bundle/lib/manifest";
import { manifestHeader } from "../../scripts/bundle/lib/assemble";
import { fakeVersions } from "./fixtures";

const v = fakeVersions();
const images = allImages(v);
const layout = bundleLayout(images, v.flannelChart);
const fakeDigest = () => ({ sha256: "a".repeat(64), size: 1 });

test("the manifest of a full bundle passes the consumer's schema", () => {
  const manifest = buildManifest(
    manifestHeader(v, images, "http://deb.example/debian"),
    layout.map((p) => p.file),
    fakeDigest,
  );
  assert.ok(bundleManifestSchema.safeParse(manifest).success);
  assert.equal(manifest.kubernetesVersion, "v1.36.3");
  assert.equal(manifest.imageRepository, "kubelab.local/k8s");
  assert.equal(manifest.pauseImage, "kubelab.local/k8s/pause:3.10.2");
  assert.equal(manifest.etcdImageTag, "3.6.8-0");
  assert.equal(manifest.corednsImageTag, "v1.14.2");
  assert.equal(manifest.builtFrom?.["k8s.io/kubernetes"], "v1.36.3");
});

test("nodes get kubeadm, kubelet, kubectl, containerd, runc and the CNI plugins at their install paths", () => {
  const installs = Object.fromEntries(
    layout.flatMap((p) => (p.file.kind === "binary" ? [[p.file.path, p.file.install]] : [])),
  );
  assert.deepEqual(installs, {
    "bin/kubeadm": "/usr/local/bin/kubeadm",
    "bin/kubelet": "/usr/local/bin/kubelet",
    "bin/kubectl": "/usr/local/bin/kubectl",
    "bin/containerd": "/usr/local/bin/containerd",
    "bin/containerd-shim-runc-v2": "/usr/local/bin/containerd-shim-runc-v2",
    "bin/ctr": "/usr/local/bin/ctr",
    "bin/runc": "/usr/local/sbin/runc",
    "bin/cni/bridge": "/opt/cni/bin/bridge",
    "bin/cni/host-local": "/opt/cni/bin/host-local",
    "bin/cni/loopback": "/opt/cni/bin/loopback",
    "bin/cni/portmap": "/opt/cni/bin/portmap",
    "bin/cni/flannel": "/opt/cni/bin/flannel",
  });
});

test("the units include the kubeadm drop-in where the kubelet packages put it", () => {
  const units = layout.flatMap((p) => (p.file.kind === "unit" ? [p.file.install] : []));
  assert.deepEqual(units, [
    "/etc/systemd/system/containerd.service",
    "/etc/systemd/system/kubelet.service",
    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
  ]);
  for (const p of layout.filter((l) => l.file.kind === "unit")) {
    assert.ok(fs.existsSync(path.join(__dirname, "../../scripts/bundle/units", p.from.file)), p.from.file);
  }
});

test("every image has its purpose once, under kubelab's own registry prefix", () => {
  const purposes = images.map((i) => i.purpose);
  assert.equal(new Set(purposes).size, purposes.length);
  for (const p of ["probe", "kube-vip", "cni:flannel/flannel", "cni:flannel/cni-plugin"])
    assert.ok(purposes.includes(p), p);
  for (const tier of ["vote", "result", "worker", "redis", "db"]) assert.ok(purposes.includes(`app:${tier}`), tier);
  for (const i of images) assert.match(i.ref, /^kubelab\.local\//);
  assert.equal(images.find((i) => i.purpose === "probe")?.ref, "kubelab.local/k8s/agnhost:2.63.0");
  assert.equal(images.find((i) => i.purpose === "cni:flannel/flannel")?.ref, "kubelab.local/flannel/flannel:v0.28.10");
  assert.equal(images.find((i) => i.purpose === "kube-vip")?.ref, "kubelab.local/kube-vip/kube-vip:v1.0.0");
  assert.equal(images.find((i) => i.purpose === "app:db")?.ref, "kubelab.local/app/db:1.0.0");
});

test("without a kube-vip module the bundle simply has no kube-vip image", () => {
  assert.ok(!allImages(fakeVersions({ kubeVip: undefined })).some((i) => i.purpose === "kube-vip"));
});

test("a bad reference or a duplicate path is refused with the manifest key it breaks", () => {
  const header = manifestHeader(v, images, "m");
  const files = layout.map((p) => p.file);
  const bad = files.map((f) => (f.kind === "image" && f.purpose === "probe" ? { ...f, ref: "Agnhost" } : f));
  assert.throws(() => buildManifest(header, bad, fakeDigest), /files\.\d+\.ref: must be REPO:TAG/);
  assert.throws(() => buildManifest(header, [...files, files[0]], fakeDigest), /lists bin\/kubeadm twice/);
  const sameRef = files.map((f) =>
    f.kind === "image" && f.purpose === "app:db" ? { ...f, ref: header.pauseImage } : f,
  );
  assert.throws(
    () => buildManifest(header, sameRef, fakeDigest),
    /two image archives carry kubelab\.local\/k8s\/pause/,
  );
});

test("verification names a missing file, a size change and a content change", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-verify-"));
  fs.mkdirSync(path.join(dir, "units"));
  for (const name of ["a", "b", "c"]) fs.writeFileSync(path.join(dir, "units", name), `unit ${name}\n`);
  const files = ["a", "b", "c", "d"].map((n) => ({
    kind: "unit" as const,
    path: `units/${n}`,
    install: `/etc/systemd/system/${n}.service`,
  }));
  const digests = new Map(["a", "b", "c"].map((n) => [`units/${n}`, digestFile(dir, `units/${n}`)]));
  const manifest = buildManifest(manifestHeader(v, images, "m"), files, (p) => digests.get(p) ?? fakeDigest());
  assert.deepEqual(verifyBundle(dir, manifest), ["units/d: missing"]);
  fs.writeFileSync(path.join(dir, "units", "b"), "unit b, longer\n");
  fs.writeFileSync(path.join(dir, "units", "c"), "unit C\n");
  assert.deepEqual(verifyBundle(dir, manifest), [
    "units/b: 15 bytes, the manifest says 7",
    "units/c: sha256 differs from the manifest",
    "units/d: missing",
  ]);
  fs.rmSync(dir, { recursive: true });
});
