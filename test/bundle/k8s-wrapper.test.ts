import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import {
  GoModJson,
  KUBERNETES_TOOLS,
  godebugLines,
  kubernetesPatch,
  kubernetesWrapperGoMod,
  nearestServed,
  requiredStagingModules,
  stagingVersion,
} from "../../scripts/bundle/lib/k8s-wrapper";
import { cacheRoot } from "../../scripts/bundle/lib/cache";

// The shape of k8s.io/kubernetes's go.mod: staging modules required at v0.0.0 and replaced with
// ./staging paths; some staging modules are replaced but not required (sample-controller).
const upstream: GoModJson = {
  Go: "1.26.0",
  Require: [
    { Path: "github.com/spf13/cobra", Version: "v1.10.0" },
    { Path: "k8s.io/api", Version: "v0.0.0" },
    { Path: "k8s.io/client-go", Version: "v0.0.0" },
    { Path: "k8s.io/sample-apiserver", Version: "v0.0.0" },
  ],
  Replace: [
    { Old: { Path: "k8s.io/api" }, New: { Path: "./staging/src/k8s.io/api" } },
    { Old: { Path: "k8s.io/client-go" }, New: { Path: "./staging/src/k8s.io/client-go" } },
    { Old: { Path: "k8s.io/sample-apiserver" }, New: { Path: "./staging/src/k8s.io/sample-apiserver" } },
    { Old: { Path: "k8s.io/sample-controller" }, New: { Path: "./staging/src/k8s.io/sample-controller" } },
  ],
};
const upstreamText = "module k8s.io/kubernetes\n\ngo 1.26.0\n\ngodebug default=go1.26\n";

test("a Kubernetes patch is accepted with or without v, anything else names the flag and an example", () => {
  assert.equal(kubernetesPatch("1.36.3"), "v1.36.3");
  assert.equal(kubernetesPatch("v1.36.3"), "v1.36.3");
  for (const bad of ["1.36", "latest", "v1.36.3-rc.0", "2.0.0", "stable-1"]) {
    assert.throws(() => kubernetesPatch(bad), /--kubernetes .*exact Kubernetes patch such as 1\.36\.3/);
  }
  assert.equal(stagingVersion("v1.36.3"), "v0.36.3");
});

test("only staging modules the upstream go.mod requires get a replace", () => {
  assert.deepEqual(requiredStagingModules(upstream), ["k8s.io/api", "k8s.io/client-go", "k8s.io/sample-apiserver"]);
});

test("a staging module missing at the patch takes the nearest served patch of the same minor", () => {
  assert.equal(nearestServed("v0.36.3", undefined), "v0.36.3");
  assert.equal(nearestServed("v0.36.3", ["v0.36.2", "v0.36.3"]), "v0.36.3");
  assert.equal(nearestServed("v0.36.3", ["v0.35.9", "v0.36.4", "v0.36.5", "v0.37.3"]), "v0.36.4");
  // Equally near: the newer patch wins.
  assert.equal(nearestServed("v0.36.3", ["v0.36.2", "v0.36.4"]), "v0.36.4");
  assert.equal(nearestServed("v0.36.3", ["v0.36.0", "v0.36.1"]), "v0.36.1");
  assert.throws(() => nearestServed("v0.36.3", ["v0.35.1", "v0.37.0"]), /no published version of minor v0\.36/);
});

test("godebug lines are copied in single-line and block form, comments dropped", () => {
  assert.deepEqual(godebugLines(upstreamText), ["godebug default=go1.26"]);
  const block = "godebug (\n\tdefault=go1.25 // keep\n\twinsymlink=0\n)\nrequire x v1\n";
  assert.deepEqual(godebugLines(block), ["godebug default=go1.25", "godebug winsymlink=0"]);
  assert.deepEqual(godebugLines("module m\n// godebug default=go1.1\n"), []);
});

test("the wrapper requires k8s.io/kubernetes, names the tools and routes staging modules to published tags", () => {
  const text = kubernetesWrapperGoMod({
    kubernetesVersion: "1.36.3",
    upstream,
    upstreamText,
    served: { "k8s.io/sample-apiserver": ["v0.36.4", "v0.36.5"] },
  });
  assert.equal(
    text,
    [
      "// Generated for k8s.io/kubernetes v1.36.3: every staging module it replaces with a local path",
      "// is routed to its published version instead. Do not edit; regenerate.",
      "module kubelab.local/bundle/kubernetes",
      "",
      "go 1.26.0",
      "",
      "godebug default=go1.26",
      "",
      "tool (",
      ...KUBERNETES_TOOLS.map((t) => `\t${t}`),
      ")",
      "",
      "require k8s.io/kubernetes v1.36.3",
      "",
      "replace (",
      "\tk8s.io/api => k8s.io/api v0.36.3",
      "\tk8s.io/client-go => k8s.io/client-go v0.36.3",
      "\tk8s.io/sample-apiserver => k8s.io/sample-apiserver v0.36.4",
      ")",
      "",
    ].join("\n"),
  );
});

test("a go.mod without staging replaces is refused (the generator would build the wrong thing)", () => {
  assert.throws(
    () => kubernetesWrapperGoMod({ kubernetesVersion: "1.36.3", upstream: { Go: "1.26.0" }, upstreamText: "" }),
    /replaces no staging module/,
  );
});

test("the served k8s.io/kubernetes v1.36.3 go.mod yields a replace for every staging module it requires", (t) => {
  const mod = path.join(cacheRoot(), "go/mod/cache/download/k8s.io/kubernetes/@v/v1.36.3.mod");
  if (!fs.existsSync(mod)) return t.skip(`${mod} is not in the module cache (run npm run bundle once)`);
  const json = JSON.parse(execFileSync("go", ["mod", "edit", "-json", mod], { encoding: "utf8" })) as GoModJson;
  const text = kubernetesWrapperGoMod({
    kubernetesVersion: "v1.36.3",
    upstream: json,
    upstreamText: fs.readFileSync(mod, "utf8"),
  });
  const replaced = [...text.matchAll(/^\t(k8s\.io\/\S+) => \1 v0\.36\.3$/gm)].map((m) => m[1]);
  assert.deepEqual(replaced, requiredStagingModules(json));
  assert.ok(replaced.includes("k8s.io/client-go") && replaced.length > 25, text);
  assert.match(text, /^godebug default=go1\.26$/m);
});
