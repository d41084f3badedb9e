import { test } from "node:test";
import assert from "node:assert/strict";
import { planComponents } from "../../scripts/bundle/build";
import { fakeVersions } from "./fixtures";

const ctx = { env: process.env, cache: "/nonexistent/bundle", mirror: "http://deb.example/debian" };

test("every component has its own cache directory, named with its version", () => {
  const { components } = planComponents(ctx, fakeVersions());
  const keys = components.map((c) => c.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const k of [
    "kubernetes-v1.36.3-",
    "containerd-v2.4.2-",
    "runc-v1.4.4-",
    "cni-plugins-v1.10.0-",
    "etcd-v3.6.8-",
  ]) {
    assert.ok(
      keys.some((key) => key.startsWith(k)),
      k,
    );
  }
  assert.ok(keys.some((k) => k.startsWith("image-kube-apiserver-v1.36.3-")));
});

test("each image is built after every component it takes files or its root from", () => {
  const { images, components } = planComponents(ctx, fakeVersions());
  const position = new Map(components.map((c, i) => [c.id, i]));
  for (const spec of images) {
    const at = position.get(`image-${spec.name}`)!;
    assert.ok(position.get(`rootfs-${spec.rootfs}`)! < at, `${spec.name} after its rootfs`);
    assert.ok(position.get("tool-oci")! < at);
    for (const f of spec.files.filter((f) => f.component !== "app")) {
      assert.ok(position.get(f.component)! < at, `${spec.name} after ${f.component}`);
    }
  }
});

test("a new Kubernetes patch rebuilds Kubernetes and its images, not containerd or the Debian layers", () => {
  const a = planComponents(ctx, fakeVersions()).components;
  const b = planComponents(ctx, fakeVersions({ kubernetes: "v1.36.4" })).components;
  const changed = a.filter((c, i) => c.key !== b[i].key).map((c) => c.id);
  assert.deepEqual(changed, [
    "kubernetes",
    "image-kube-apiserver",
    "image-kube-controller-manager",
    "image-kube-scheduler",
    "image-kube-proxy",
    "image-agnhost",
  ]);
});
