import { test, mock } from "node:test";
import assert from "node:assert/strict";
import * as childProcess from "child_process";
import * as fs from "fs";
// The module object itself: what the library's namespace import reads through, so a mock is seen.
import fsModule from "fs";
import * as path from "path";
import { BundleManifest } from "../../lib/bundle-manifest";
import { K8S, TIERS, makeBundle, sha, specs, tmpDir } from "../fake-bundle";
import {
  BUNDLE_KEY,
  OfflineNeeds,
  addonImageValues,
  appImages,
  bundleImageRefs,
  chartFor,
  checkOfflineBundle,
  imagesFor,
  installBundleEnv,
  kubeadmClusterSettings,
  kubeadmImages,
  mergeValues,
  nodeBundleDir,
  nodeCopy,
  nodeIndex,
  probeImage,
  splitImageRef,
} from "../../lib/offline-bundle";

const NEEDS: OfflineNeeds = { kubernetesVersion: "1.36.3", cni: "flannel", appTiers: TIERS, probe: true };

function check(bundlePath: string, needs: Partial<OfflineNeeds> = {}, cacheDir = tmpDir()) {
  return checkOfflineBundle(bundlePath, { ...NEEDS, ...needs }, { cacheDir });
}

/** The problems as `key = value: message` lines, the way config errors print them. */
function lines(result: ReturnType<typeof check>): string[] {
  return result.problems.map((p) => `${p.key} = ${JSON.stringify(p.value)}: ${p.message}`);
}

const REBUILD = "rebuild the bundle with npm run bundle";

test("a complete bundle has no problems and carries its manifest and the manifest's sha256", () => {
  const dir = makeBundle();
  const result = check(dir);
  assert.deepEqual(lines(result), []);
  assert.equal(result.bundle?.dir, dir);
  assert.equal(result.bundle?.manifest.kubernetesVersion, "v1.36.3");
  assert.equal(result.bundle?.manifestSha256, sha(fs.readFileSync(path.join(dir, "manifest.json"))));
});

test("a bundle path that is missing, or neither a folder nor a tar, is named with the fix", () => {
  const missing = path.join(tmpDir(), "nope");
  assert.deepEqual(lines(check(missing)), [
    `${BUNDLE_KEY} = ${JSON.stringify(missing)}: not found; build a bundle with npm run bundle -- --kubernetes PATCH --out DIR and set this key to DIR`,
  ]);
  const file = path.join(tmpDir(), "bundle.zip");
  fs.writeFileSync(file, "PK");
  assert.deepEqual(lines(check(file)), [
    `${BUNDLE_KEY} = ${JSON.stringify(file)}: is neither a folder nor a .tar, .tar.gz or .tgz file; point it at what npm run bundle wrote`,
  ]);
});

test("a missing, unreadable or non-JSON manifest.json is named", () => {
  const dir = makeBundle();
  fs.rmSync(path.join(dir, "manifest.json"));
  assert.deepEqual(lines(check(dir)), [
    `${BUNDLE_KEY} = ${JSON.stringify(dir)}: has no manifest.json; point it at a folder written by npm run bundle`,
  ]);
  fs.mkdirSync(path.join(dir, "manifest.json"));
  assert.deepEqual(check(dir).problems[0].message, "manifest.json cannot be read (EISDIR); it must be a readable file");
  fs.rmdirSync(path.join(dir, "manifest.json"));
  fs.writeFileSync(path.join(dir, "manifest.json"), '{"schemaVersion": 1,');
  let parseError = "";
  try {
    JSON.parse('{"schemaVersion": 1,');
  } catch (err) {
    parseError = (err as Error).message;
  }
  assert.deepEqual(check(dir).problems[0].message, `manifest.json is not valid JSON (${parseError}); ${REBUILD}`);
  assert.equal(check(dir).bundle, undefined);
});

test("every schema issue of manifest.json is named with its path", () => {
  const dir = makeBundle(specs(), (m) => {
    m.schemaVersion = 2;
    m.kubernetesVersion = "1.36";
    m.surprise = true;
    const files = m.files as Record<string, unknown>[];
    files[0].sha256 = "ABC";
    files[1].kind = "library";
    files[17].purpose = "cni:Flannel";
  });
  const result = check(dir);
  assert.deepEqual(
    result.problems.map((p) => p.message),
    [
      "manifest.json schemaVersion: Invalid input: expected 1",
      "manifest.json kubernetesVersion: must be an exact version such as v1.36.3",
      "manifest.json files[0].sha256: must be 64 lowercase hex digits (sha256)",
      "manifest.json files[1].kind: Invalid discriminator value. Expected 'binary' | 'image' | 'chart' | 'unit'",
      "manifest.json files[17].purpose: must be a control-plane component, etcd, coredns, pause, probe, kube-vip, cni:<addon>/<image> or app:<tier>",
      'manifest.json: Unrecognized key: "surprise"',
    ],
  );
  assert.ok(result.problems.every((p) => p.key === BUNDLE_KEY && p.value === dir));
  assert.equal(result.bundle, undefined);
});

test("a missing file, a file of another size and a checksum mismatch are each named", () => {
  const dir = makeBundle();
  fs.rmSync(path.join(dir, "images/etcd.tar"));
  fs.appendFileSync(path.join(dir, "bin/kubelet"), "more");
  const kubeadm = path.join(dir, "bin/kubeadm");
  const expected = sha(fs.readFileSync(kubeadm));
  fs.writeFileSync(kubeadm, fs.readFileSync(kubeadm, "utf8").toUpperCase());
  assert.deepEqual(
    check(dir).problems.map((p) => p.message),
    [
      `bin/kubeadm has sha256 ${sha(fs.readFileSync(kubeadm))}, manifest.json says ${expected}: ${REBUILD}`,
      `bin/kubelet is 28 bytes, manifest.json says 24: ${REBUILD}`,
      `images/etcd.tar is listed in manifest.json but missing from the bundle: ${REBUILD}`,
    ],
  );
});

test("checksums are cached by path, size, mtime, ctime and inode: a second check hashes nothing", () => {
  const dir = makeBundle();
  const cache = tmpDir();
  const opened = mock.method(fsModule, "openSync");
  // Bundle files opened the way the hashing opens them (readFileSync and writeFileSync pass more arguments).
  const hashed = () =>
    opened.mock.calls.filter((c) => c.arguments.length === 2 && String(c.arguments[0]).startsWith(`${dir}/`)).length;
  try {
    assert.deepEqual(lines(check(dir, {}, cache)), []);
    assert.equal(hashed(), specs().length);
    assert.deepEqual(lines(check(dir, {}, cache)), []);
    assert.equal(hashed(), specs().length, "nothing hashed again");
    // Same size, mtime put back: the ctime still tells the file changed.
    const file = path.join(dir, "bin/runc");
    const before = fs.statSync(file);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").toUpperCase());
    fs.utimesSync(file, before.atime, before.mtime);
    assert.match(check(dir, {}, cache).problems[0].message, /^bin\/runc has sha256 [0-9a-f]{64}, manifest.json says /);
    assert.equal(hashed(), specs().length + 1, "only the changed file hashed");
  } finally {
    opened.mock.restore();
  }
  assert.equal(fs.readdirSync(path.join(cache, "bundle-checksums")).length, 1);
});

test("a .tar of the bundle is unpacked once into the cache and checked like the folder", () => {
  const dir = makeBundle();
  const tar = path.join(tmpDir(), "bundle.tar");
  childProcess.execFileSync("tar", ["-cf", tar, "-C", path.dirname(dir), "bundle"]);
  const cache = tmpDir();
  const first = check(tar, {}, cache);
  assert.deepEqual(lines(first), []);
  assert.match(first.bundle?.dir ?? "", new RegExp(`^${cache}/bundles/[0-9a-f]{16}/bundle$`));
  const marker = path.join(first.bundle?.dir ?? "", "marker");
  fs.writeFileSync(marker, "kept");
  const second = check(tar, {}, cache);
  assert.equal(second.bundle?.dir, first.bundle?.dir);
  assert.ok(fs.existsSync(marker), "not unpacked again");
  const bad = path.join(tmpDir(), "broken.tar");
  fs.writeFileSync(bad, "this is not a tar archive at all, just text long enough ".repeat(20));
  const broken = check(bad, {}, cache);
  assert.match(
    broken.problems[0].message,
    /^could not be unpacked \(tar: .+\); check the file, or point this key at the bundle folder$/,
  );
  assert.deepEqual(fs.readdirSync(path.join(cache, "bundles")).length, 1, "no partial folder left behind");
});

test("kubernetesVersion must be the bundle's exact patch", () => {
  const dir = makeBundle();
  const message =
    "must be the bundle's exact patch: the bundle holds Kubernetes v1.36.3, so set 1.36.3 " +
    "(or build a bundle for the version you want with npm run bundle -- --kubernetes v<patch>)";
  for (const version of ["1.36", "1.36.4", "1.35"]) {
    assert.deepEqual(lines(check(dir, { kubernetesVersion: version })), [
      `kubelab:kubernetesVersion = ${JSON.stringify(version)}: ${message}`,
    ]);
  }
});

test("binaries, units and kubeadm's images the node needs are named when the bundle lacks them", () => {
  const drop = new Set([
    "bin/runc",
    "bin/portmap",
    "units/kubelet.service.d/10-kubeadm.conf",
    "images/etcd.tar",
    "images/pause.tar",
  ]);
  const dir = makeBundle(specs().filter((s) => !drop.has(s.path)));
  assert.deepEqual(
    check(dir).problems.map((p) => p.message),
    [
      `has no binary runc, /opt/cni/bin/portmap; ${REBUILD}`,
      `has no unit /etc/systemd/system/kubelet.service.d/10-kubeadm.conf; ${REBUILD}`,
      `has no image ${K8S}/etcd:3.6.8-0, ${K8S}/pause:3.10.2; ${REBUILD}`,
    ],
  );
});

test("a control-plane image under another repository or tag than kubeadm will ask for counts as missing", () => {
  const dir = makeBundle(specs(), (m) => {
    m.corednsImageTag = "v1.14.3";
  });
  assert.deepEqual(
    check(dir).problems.map((p) => p.message),
    [`has no image ${K8S}/coredns:v1.14.3; ${REBUILD}`],
  );
});

test("an install path or image ref listed twice is named", () => {
  const list = specs();
  list.push({ kind: "binary", path: "bin/kubeadm-old", install: "/usr/local/bin/kubeadm" });
  list.push({ kind: "image", path: "images/pause-old.tar", ref: `${K8S}/pause:3.10.2`, purpose: "pause" });
  assert.deepEqual(
    check(makeBundle(list)).problems.map((p) => p.message),
    [
      `lists /usr/local/bin/kubeadm more than once in manifest.json; ${REBUILD}`,
      `lists ${K8S}/pause:3.10.2 more than once in manifest.json; ${REBUILD}`,
    ],
  );
});

test("the CNI must be flannel, with its chart and both its images in the bundle", () => {
  const full = makeBundle();
  assert.deepEqual(lines(check(full, { cni: "calico" })), [
    `kubelab:network.cni = "calico": offline installs point only flannel's chart at bundle images; set network.cni to flannel`,
  ]);
  const dir = makeBundle(specs().filter((s) => s.kind !== "chart" && s.purpose !== "cni:flannel/cni-plugin"));
  assert.deepEqual(lines(check(dir)), [
    `kubelab:network.cni = "flannel": the bundle has no flannel chart; ${REBUILD} with the flannel chart`,
    `kubelab:network.cni = "flannel": the bundle has no image for cni:flannel/cni-plugin; ${REBUILD} with flannel's images`,
  ]);
});

test("app tiers and the probe image the stack runs must be in the bundle, unless the stack does not run them", () => {
  const dir = makeBundle(specs().filter((s) => !["app:vote", "app:db", "probe"].includes(String(s.purpose))));
  assert.deepEqual(lines(check(dir)), [
    `${BUNDLE_KEY} = ${JSON.stringify(dir)}: has no image for the sample app's vote, db tiers (purpose app:vote, app:db); ${REBUILD} with the app, or set kubelab:app.enabled to false`,
    `${BUNDLE_KEY} = ${JSON.stringify(dir)}: has no image for the network check's probe (purpose probe); ${REBUILD}, or set kubelab:verify.enabled to false`,
  ]);
  assert.deepEqual(lines(check(dir, { appTiers: ["redis"], probe: false })), []);
  const oneTier = makeBundle(specs().filter((s) => s.purpose !== "app:worker"));
  assert.match(check(oneTier).problems[0].message, /sample app's worker tier \(purpose app:worker\)/);
});

function manifestOf(dir: string): BundleManifest {
  const result = check(dir);
  assert.ok(result.bundle);
  return result.bundle.manifest;
}

test("helpers read images, kubeadm settings and the chart from the manifest", () => {
  const dir = makeBundle();
  const m = manifestOf(dir);
  assert.deepEqual(
    imagesFor(m, "pause").map((i) => i.ref),
    [`${K8S}/pause:3.10.2`],
  );
  assert.equal(bundleImageRefs(m).length, 16);
  assert.deepEqual(kubeadmImages(m), [
    `${K8S}/kube-apiserver:v1.36.3`,
    `${K8S}/kube-controller-manager:v1.36.3`,
    `${K8S}/kube-scheduler:v1.36.3`,
    `${K8S}/kube-proxy:v1.36.3`,
    `${K8S}/etcd:3.6.8-0`,
    `${K8S}/coredns:v1.14.2`,
    `${K8S}/pause:3.10.2`,
  ]);
  assert.deepEqual(kubeadmClusterSettings(m), {
    kubernetesVersion: "v1.36.3",
    imageRepository: K8S,
    etcd: { local: { imageTag: "3.6.8-0" } },
    dns: { imageTag: "v1.14.2" },
  });
  const bundle = { dir, manifest: m, manifestSha256: "ab".repeat(32) };
  assert.deepEqual(chartFor(bundle, "flannel"), {
    path: path.join(dir, "charts/flannel-v0.28.10.tgz"),
    version: "v0.28.10",
  });
  assert.throws(() => chartFor(bundle, "cilium"), /^Error: the offline bundle has no cilium chart$/);
  assert.equal(probeImage(m), "kubelab.local/e2e-test-images/agnhost:2.66.1");
  assert.deepEqual(appImages(m), {
    vote: "kubelab.local/app/vote:1.0.0",
    redis: "kubelab.local/app/redis:1.0.0",
    worker: "kubelab.local/app/worker:1.0.0",
    db: "kubelab.local/app/db:1.0.0",
    result: "kubelab.local/app/result:1.0.0",
  });
});

test("flannel's chart values point at the bundle's images and merge over the addon's own values", () => {
  const m = manifestOf(makeBundle());
  const overrides = addonImageValues(m, "flannel");
  assert.deepEqual(overrides, {
    flannel: {
      image: { repository: "kubelab.local/flannel-io/flannel", tag: "v0.28.10" },
      flannel_cni: { image: { repository: "kubelab.local/flannel-io/flannel-cni-plugin", tag: "v1.9.1-flannel3" } },
    },
  });
  const addon = { podCidr: "10.244.0.0/16", flannel: { backend: "vxlan", args: ["--ip-masq"] } };
  assert.deepEqual(mergeValues(addon, overrides), {
    podCidr: "10.244.0.0/16",
    flannel: {
      backend: "vxlan",
      args: ["--ip-masq"],
      image: { repository: "kubelab.local/flannel-io/flannel", tag: "v0.28.10" },
      flannel_cni: { image: { repository: "kubelab.local/flannel-io/flannel-cni-plugin", tag: "v1.9.1-flannel3" } },
    },
  });
  assert.deepEqual(mergeValues({ a: [1, 2], b: { c: 1 } }, { a: [3], b: 2 }), { a: [3], b: 2 });
  assert.throws(() => addonImageValues(m, "calico"), /only flannel's chart.*not calico's/);
});

test("image references split into the repository and tag charts take, a digest staying with the tag", () => {
  assert.deepEqual(splitImageRef("kubelab.local:5000/a/b:1.2"), { repository: "kubelab.local:5000/a/b", tag: "1.2" });
  const digest = `sha256:${"c".repeat(64)}`;
  assert.deepEqual(splitImageRef(`x.local/b:1.2@${digest}`), { repository: "x.local/b", tag: `1.2@${digest}` });
  assert.throws(() => splitImageRef("kubelab.local:5000/a/b"), /has no tag/);
});

test("the node index lists every file as <sha256> <kind> <path> <target>, in manifest order", () => {
  const m = manifestOf(makeBundle());
  const index = nodeIndex(m).split("\n");
  assert.equal(index.length, m.files.length + 1);
  assert.equal(index.at(-1), "");
  assert.equal(index[0], `${sha("fake binary bin/kubeadm\n")} binary bin/kubeadm /usr/local/bin/kubeadm`);
  assert.equal(
    index[11],
    `${sha("fake unit units/containerd.service\n")} unit units/containerd.service /etc/systemd/system/containerd.service`,
  );
  assert.equal(index[20], `${sha("fake image images/pause.tar\n")} image images/pause.tar ${K8S}/pause:3.10.2`);
  assert.equal(
    index[m.files.length - 1],
    `${sha("fake chart charts/flannel-v0.28.10.tgz\n")} chart charts/flannel-v0.28.10.tgz flannel`,
  );
});

test("the node index is what install-bundle.sh's own jq fallback reads from manifest.json", (t) => {
  const jq = childProcess.spawnSync("jq", ["--version"]);
  if (jq.error) return t.skip("jq not installed");
  const script = fs.readFileSync(path.join(__dirname, "../../scripts/node/install-bundle.sh"), "utf8");
  const filter = /jq -r '(\.files\[\][^']*)'/.exec(script)?.[1];
  assert.ok(filter, "install-bundle.sh reads .files[] with jq");
  const dir = makeBundle();
  const fromJq = childProcess.execFileSync("jq", ["-r", filter, path.join(dir, "manifest.json")], { encoding: "utf8" });
  assert.equal(fromJq, nodeIndex(manifestOf(dir)));
});

test("the copy to a node and install-bundle.sh's environment follow the manifest hash", () => {
  const dir = makeBundle();
  const result = check(dir);
  assert.ok(result.bundle);
  const hash = result.bundle.manifestSha256;
  assert.equal(nodeBundleDir(hash), `/var/tmp/kubelab-bundle-${hash.slice(0, 16)}`);
  assert.deepEqual(nodeCopy(result.bundle), { source: `${dir}/`, remotePath: nodeBundleDir(hash), trigger: hash });
  assert.deepEqual(installBundleEnv(result.bundle), {
    BUNDLE_DIR: nodeBundleDir(hash),
    BUNDLE_INDEX: nodeIndex(result.bundle.manifest),
    MANIFEST_SHA256: hash,
    KUBERNETES_VERSION: "v1.36.3",
    PAUSE_IMAGE: `${K8S}/pause:3.10.2`,
  });
});

test("a stack with a VIP needs kube-vip's image in the bundle", () => {
  const dir = makeBundle(specs().filter((s) => s.path !== "images/kube-vip.tar"));
  assert.deepEqual(lines(check(dir, { kubeVip: true })), [
    `${BUNDLE_KEY} = ${JSON.stringify(dir)}: has no image for kube-vip (purpose kube-vip), which holds kubelab:nodes.vip; rebuild the bundle with npm run bundle`,
  ]);
  assert.deepEqual(lines(check(dir)), []);
});
