import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import {
  etcdImageTag,
  etcdModuleVersion,
  kubeadmImages,
  parseKubeadmConstants,
} from "../../scripts/bundle/lib/kubeadm";
import { IMAGE_REPOSITORY, controlPlaneImages } from "../../scripts/bundle/lib/images";
import { bundleCache, cacheRoot } from "../../scripts/bundle/lib/cache";
import { fakeVersions } from "./fixtures";

// The lines of cmd/kubeadm/app/constants/constants.go the bundle reads (v1.36.3's values).
const constantsGo = `
	// DefaultEtcdVersion indicates the default etcd version that kubeadm uses
	DefaultEtcdVersion = "3.6.8-0"
	CoreDNSImageName = "coredns"
	// CoreDNSVersion is the version of CoreDNS to be deployed if it is used
	CoreDNSVersion = "v1.14.2"
	PauseVersion = "3.10.2"
	SupportedEtcdVersion = map[uint8]string{
		34: "3.6.4-0",
		35: "3.6.5-0",
		36: "3.6.8-0",
	}
`;

test("kubeadm's etcd, CoreDNS and pause versions are read from its constants", () => {
  const c = parseKubeadmConstants(constantsGo);
  assert.deepEqual(c, {
    defaultEtcd: "3.6.8-0",
    supportedEtcd: { 34: "3.6.4-0", 35: "3.6.5-0", 36: "3.6.8-0" },
    coredns: "v1.14.2",
    pause: "3.10.2",
  });
  assert.throws(
    () => parseKubeadmConstants(constantsGo.replace("PauseVersion", "Pause")),
    /no string constant PauseVersion/,
  );
});

test("the etcd tag follows the minor, and outside the map its nearest end, as kubeadm does", () => {
  const c = parseKubeadmConstants(constantsGo);
  assert.equal(etcdImageTag(c, "v1.35.2"), "3.6.5-0");
  assert.equal(etcdImageTag(c, "v1.37.0"), "3.6.8-0");
  assert.equal(etcdImageTag(c, "v1.30.0"), "3.6.4-0");
  assert.equal(etcdModuleVersion("3.6.8-0"), "v3.6.8");
  assert.throws(() => etcdModuleVersion("latest"), /etcd image tag "latest"/);
});

test("with a custom repository every image sits under it and CoreDNS loses its coredns/ sub-path", () => {
  const c = parseKubeadmConstants(constantsGo);
  assert.deepEqual(
    kubeadmImages(c, "v1.36.3", "kubelab.local/k8s").map((i) => i.ref),
    [
      "kubelab.local/k8s/kube-apiserver:v1.36.3",
      "kubelab.local/k8s/kube-controller-manager:v1.36.3",
      "kubelab.local/k8s/kube-scheduler:v1.36.3",
      "kubelab.local/k8s/kube-proxy:v1.36.3",
      "kubelab.local/k8s/coredns:v1.14.2",
      "kubelab.local/k8s/pause:3.10.2",
      "kubelab.local/k8s/etcd:3.6.8-0",
    ],
  );
  assert.equal(kubeadmImages(c, "v1.36.3", "registry.k8s.io")[4].ref, "registry.k8s.io/coredns/coredns:v1.14.2");
});

test("the control-plane images carry kubeadm's references from the v1.36.3 module source", (t) => {
  const file = path.join(cacheRoot(), "go/mod/k8s.io/kubernetes@v1.36.3/cmd/kubeadm/app/constants/constants.go");
  if (!fs.existsSync(file)) return t.skip(`${file} is not in the module cache (run npm run bundle once)`);
  const constants = parseKubeadmConstants(fs.readFileSync(file, "utf8"));
  const refs = controlPlaneImages(fakeVersions({ constants })).map((i) => i.ref);
  assert.deepEqual(
    refs.sort(),
    kubeadmImages(constants, "v1.36.3", IMAGE_REPOSITORY)
      .map((i) => i.ref)
      .sort(),
  );
});

test("the control-plane images match `kubeadm config images list` of the built kubeadm", (t) => {
  const cache = bundleCache(cacheRoot());
  const built = fs.existsSync(cache) ? fs.readdirSync(cache).filter((d) => d.startsWith("kubernetes-v1.36.3")) : [];
  const kubeadm = built.map((d) => path.join(cache, d, "kubeadm")).find((f) => fs.existsSync(f));
  const file = path.join(cacheRoot(), "go/mod/k8s.io/kubernetes@v1.36.3/cmd/kubeadm/app/constants/constants.go");
  if (!kubeadm || !fs.existsSync(file)) return t.skip(`no built kubeadm v1.36.3 in ${cache}`);
  const listed = execFileSync(
    kubeadm,
    ["config", "images", "list", "--kubernetes-version", "v1.36.3", "--image-repository", IMAGE_REPOSITORY],
    { encoding: "utf8" },
  )
    .trim()
    .split("\n");
  const constants = parseKubeadmConstants(fs.readFileSync(file, "utf8"));
  assert.deepEqual(
    controlPlaneImages(fakeVersions({ constants }))
      .map((i) => i.ref)
      .sort(),
    listed.sort(),
  );
});
