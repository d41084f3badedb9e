import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultBinaryName, goBuildArgs, ldflags, simpleWrapperGoMod } from "../../scripts/bundle/lib/go-build";
import { kubernetesStep, kubernetesVersionVars } from "../../scripts/bundle/lib/components";
import { fakeVersions } from "./fixtures";

test("Kubernetes gets hack/lib/version.sh's variables in client-go and component-base", () => {
  const vars = kubernetesVersionVars("v1.36.3", "2026-07-22T18:07:38Z");
  for (const pkg of ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"]) {
    assert.ok(vars.includes(`${pkg}.gitVersion=v1.36.3`));
    assert.ok(vars.includes(`${pkg}.gitMajor=1`));
    assert.ok(vars.includes(`${pkg}.gitMinor=36`));
    assert.ok(vars.includes(`${pkg}.buildDate=2026-07-22T18:07:38Z`));
  }
  // No commit is known from the module proxy; none is invented.
  assert.ok(vars.includes("k8s.io/component-base/version.gitCommit="));
  assert.ok(vars.includes("k8s.io/component-base/version.gitTreeState=archive"));
  assert.throws(() => kubernetesVersionVars("1.36", "x"), /not v1\.<minor>\.<patch>/);
});

test("the Kubernetes build is static, stripped, trimmed and tagged as hack/lib/golang.sh does", () => {
  const args = goBuildArgs(kubernetesStep(fakeVersions()), "/out");
  assert.deepEqual(args.slice(0, 4), ["build", "-trimpath", "-tags", "selinux,notest,grpcnotrace"]);
  assert.match(args[5], /^-s -w -X k8s\.io\/client-go\/pkg\/version\.gitVersion=v1\.36\.3 /);
  assert.equal(args[7], "/out/");
  assert.deepEqual(args.slice(8), [
    "k8s.io/kubernetes/cmd/kubeadm",
    "k8s.io/kubernetes/cmd/kubelet",
    "k8s.io/kubernetes/cmd/kubectl",
    "k8s.io/kubernetes/cmd/kube-apiserver",
    "k8s.io/kubernetes/cmd/kube-controller-manager",
    "k8s.io/kubernetes/cmd/kube-scheduler",
    "k8s.io/kubernetes/cmd/kube-proxy",
    "k8s.io/kubernetes/test/images/agnhost",
  ]);
});

test("a cgo step links statically with Go's own resolver and user lookup", () => {
  const step = { binaries: { "github.com/opencontainers/runc": "runc" }, cgoStatic: true, tags: ["seccomp"] };
  assert.equal(ldflags(step), "-s -w -extldflags -static");
  assert.deepEqual(goBuildArgs(step, "/o").slice(2, 4), ["-tags", "seccomp,netgo,osusergo"]);
});

test("binaries are named as go build names them: the last element that is not a major version", () => {
  assert.equal(defaultBinaryName("go.etcd.io/etcd/server/v3"), "server");
  assert.equal(defaultBinaryName("github.com/containerd/containerd/v2/cmd/ctr"), "ctr");
  assert.equal(defaultBinaryName("github.com/coredns/coredns"), "coredns");
});

test("a generated wrapper go.mod requires the released modules and lists their main packages as tools", () => {
  assert.equal(
    simpleWrapperGoMod({
      name: "coredns",
      go: "1.25.0",
      requires: { "github.com/coredns/coredns": "v1.14.2" },
      tools: ["github.com/coredns/coredns"],
    }),
    [
      "// Generated: builds github.com/coredns/coredns from released modules. Do not edit; regenerate.",
      "module kubelab.local/bundle/coredns",
      "",
      "go 1.25.0",
      "",
      "tool (",
      "\tgithub.com/coredns/coredns",
      ")",
      "",
      "require (",
      "\tgithub.com/coredns/coredns v1.14.2",
      ")",
      "",
    ].join("\n"),
  );
});
