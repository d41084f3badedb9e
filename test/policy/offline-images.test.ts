import { test } from "node:test";
import assert from "node:assert/strict";
import { WORKLOAD_KINDS } from "../../policy/pod-templates";
import { normalizeImageRef, offlineImageMissing, OfflinePlan } from "../../policy/rules/offline-images";
import { obj } from "./fixtures";

const BUNDLE = [
  "kubelab.local/app/vote:1.0.0",
  "kubelab.local/app/redis:7.4.2-bookworm",
  "kubelab.local/e2e-test-images/agnhost:2.66.1",
  "busybox:1.37",
  `kubelab.local/app/worker:1.0.0@sha256:${"a".repeat(64)}`,
];
const PLAN: OfflinePlan = { bundleImages: BUNDLE };

/** A workload of `kind` whose pod template runs `containers` (and `initContainers`). */
function workload(kind: string, podSpec: Record<string, unknown>, name = "web"): Record<string, unknown> {
  const metadata = { name, namespace: "vote" };
  const template = { metadata: { labels: { app: name } }, spec: podSpec };
  if (kind === "Pod") return { apiVersion: "v1", kind, metadata, spec: podSpec };
  if (kind === "CronJob")
    return { apiVersion: "batch/v1", kind, metadata, spec: { jobTemplate: { spec: { template } } } };
  return { apiVersion: "apps/v1", kind, metadata, spec: { selector: { matchLabels: { app: name } }, template } };
}

const check = (objects: Record<string, unknown>[], plan: OfflinePlan = PLAN) =>
  offlineImageMissing(
    objects.map((o) => obj(o, "app.yaml")),
    plan,
  );

const MISSING = (who: string, image: string, hint = "") =>
  `${who} image "${image}" is not in the offline bundle, and the nodes cannot pull it; add the image to the bundle ` +
  `(npm run bundle), or set the image to one the bundle has${hint}`;

test("without a bundle the rule finds nothing", () => {
  assert.deepEqual(check([workload("Deployment", { containers: [{ name: "web", image: "nginx:1.27" }] })], {}), []);
});

test("an image the bundle lacks is an error naming the object, the container, the image and the fix", () => {
  const found = check([workload("Deployment", { containers: [{ name: "web", image: "nginx:1.27" }] })]);
  assert.deepEqual(found, [
    {
      rule: "offline-image-missing",
      severity: "error",
      resource: "Deployment/vote/web",
      file: "app.yaml",
      message: MISSING('container "web"', "nginx:1.27"),
    },
  ]);
});

test("init containers count too, and a bundle image of the same name is suggested", () => {
  const found = check([
    workload("StatefulSet", {
      initContainers: [{ name: "wait", image: "redis:7.4.2-bookworm" }],
      containers: [{ name: "vote", image: "kubelab.local/app/vote:1.0.0" }],
    }),
  ]);
  assert.deepEqual(
    found.map((v) => [v.resource, v.message]),
    [
      [
        "StatefulSet/vote/web",
        MISSING(
          'init container "wait"',
          "redis:7.4.2-bookworm",
          ' (the bundle has "kubelab.local/app/redis:7.4.2-bookworm")',
        ),
      ],
    ],
  );
});

test("every pod-template kind is checked", () => {
  for (const kind of WORKLOAD_KINDS) {
    const found = check([workload(kind, { containers: [{ name: "c", image: "ghcr.io/x/y:1" }] }, "w")]);
    assert.deepEqual(
      found.map((v) => v.resource),
      [`${kind}/vote/w`],
      kind,
    );
  }
});

test("bundle images match however the reference is spelled", () => {
  const images = [
    "kubelab.local/app/vote:1.0.0",
    "busybox:1.37",
    "docker.io/library/busybox:1.37",
    "index.docker.io/library/busybox:1.37",
    "library/busybox:1.37",
    `kubelab.local/app/worker@sha256:${"a".repeat(64)}`,
    `kubelab.local/app/worker:other@sha256:${"a".repeat(64)}`,
  ];
  const containers = images.map((image, i) => ({ name: `c${i}`, image }));
  assert.deepEqual(check([workload("Deployment", { containers })]), []);
});

test("a tag or registry that differs from the bundle's is missing", () => {
  const containers = [
    { name: "tag", image: "kubelab.local/app/vote:1.0.1" },
    { name: "registry", image: "registry.local/app/vote:1.0.0" },
    { name: "worker", image: "kubelab.local/app/worker:1.0.0" },
  ];
  const found = check([workload("Deployment", { containers })]);
  assert.deepEqual(
    found.map((v) => v.message.split(" is not")[0]),
    [
      'container "tag" image "kubelab.local/app/vote:1.0.1"',
      'container "registry" image "registry.local/app/vote:1.0.0"',
      'container "worker" image "kubelab.local/app/worker:1.0.0"',
    ],
  );
});

test("a bundle image pulled Always, explicitly or as the :latest default, is an error with the fix", () => {
  const latestBundle: OfflinePlan = { bundleImages: [...BUNDLE, "kubelab.local/tools/debug:latest"] };
  const found = check(
    [
      workload("Deployment", {
        containers: [
          { name: "explicit", image: "busybox:1.37", imagePullPolicy: "Always" },
          { name: "implicit", image: "kubelab.local/tools/debug" },
          { name: "fine", image: "kubelab.local/tools/debug:latest", imagePullPolicy: "IfNotPresent" },
          { name: "never", image: "busybox:1.37", imagePullPolicy: "Never" },
        ],
      }),
    ],
    latestBundle,
  );
  assert.deepEqual(
    found.map((v) => v.message),
    [
      'container "explicit" image "busybox:1.37" is in the offline bundle, but imagePullPolicy Always makes kubelet ' +
        "ask a registry the nodes cannot reach; set imagePullPolicy: IfNotPresent",
      'container "implicit" image "kubelab.local/tools/debug" is in the offline bundle, but imagePullPolicy Always ' +
        "(the default for an untagged or :latest image) makes kubelet ask a registry the nodes cannot reach; " +
        "set imagePullPolicy: IfNotPresent",
    ],
  );
});

test("a container without an image is left to image-unpinned", () => {
  assert.deepEqual(check([workload("Pod", { containers: [{ name: "c" }] })]), []);
});

test("image references are normalised the way containerd resolves them", () => {
  assert.equal(normalizeImageRef("redis"), "docker.io/library/redis:latest");
  assert.equal(normalizeImageRef("redis:7"), "docker.io/library/redis:7");
  assert.equal(normalizeImageRef("bitnami/redis:7"), "docker.io/bitnami/redis:7");
  assert.equal(normalizeImageRef("localhost/x:1"), "localhost/x:1");
  assert.equal(normalizeImageRef("localhost:5000/x"), "localhost:5000/x:latest");
  assert.equal(normalizeImageRef("kubelab.local/k8s/pause:3.10.2"), "kubelab.local/k8s/pause:3.10.2");
  const digest = `@sha256:${"b".repeat(64)}`;
  assert.equal(normalizeImageRef(`redis:7${digest}`), `docker.io/library/redis${digest}`);
  assert.equal(normalizeImageRef(`x.io:443/a/b${digest}`), `x.io:443/a/b${digest}`);
});
