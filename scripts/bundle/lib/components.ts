// The binary components of the bundle: what each builds, from which module, with which flags.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { shortHash } from "./cache";
import { downloadModule, writeKubernetesWrapper } from "./go";
import { GoStep, runGoStep, simpleWrapperGoMod, tidyOnce } from "./go-build";
import { KUBERNETES_TOOLS } from "./k8s-wrapper";
import { MODULES, SCRIPTS, Versions, flannelChartDir } from "./versions";

export interface BuildContext {
  /** Go environment (shared module and build caches). */
  env: NodeJS.ProcessEnv;
  /** The bundle cache: ${KUBELAB_CACHE}/bundle. */
  cache: string;
  /** The Debian mirror for root filesystems. */
  mirror: string;
}

export interface Component {
  id: string;
  /** Cache directory name: <component>-<version>[-<recipe hash>]. */
  key: string;
  label: string;
  /** Writes the component into `tmp`; `dirs` holds the directories of components listed before it. */
  build: (tmp: string, dirs: Record<string, string>) => void;
}

/** hack/lib/version.sh's variables, in both packages that carry them (kubeadm and kubectl print them). */
export function kubernetesVersionVars(version: string, buildDate: string): string[] {
  const minor = /^v1\.(\d+)\.\d+$/.exec(version)?.[1];
  if (!minor) throw new Error(`Kubernetes version "${version}" is not v1.<minor>.<patch>`);
  // The module proxy gives no commit for the tag: gitCommit is empty rather than invented, and the
  // tree state is "archive", version.sh's word for a build from a source archive.
  const vars = {
    gitVersion: version,
    gitMajor: "1",
    gitMinor: minor,
    gitCommit: "",
    gitTreeState: "archive",
    buildDate,
  };
  return ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"].flatMap((pkg) =>
    Object.entries(vars).map(([k, v]) => `${pkg}.${k}=${v}`),
  );
}

export function kubernetesStep(v: Versions): GoStep {
  return {
    binaries: Object.fromEntries(KUBERNETES_TOOLS.map((t) => [t, path.basename(t)])),
    // hack/lib/golang.sh: selinux,notest + grpcnotrace for non-debug builds. Every binary static:
    // upstream links kubelet against glibc, a static kubelet runs on any node distribution.
    tags: ["selinux", "notest", "grpcnotrace"],
    vars: kubernetesVersionVars(v.kubernetes, v.kubernetesBuildDate),
  };
}

function goComponent(id: string, version: string, moduleDir: string | (() => string), steps: GoStep[]): Component {
  return {
    id,
    // The flags are part of the recipe: a changed flag builds anew (the Go build cache keeps that quick).
    key: `${id}-${version}-${shortHash(JSON.stringify(steps))}`,
    label: `${id} ${version}`,
    build: (tmp) => {
      const dir = typeof moduleDir === "string" ? moduleDir : moduleDir();
      for (const step of steps) runGoStep(process.env, dir, step, tmp);
    },
  };
}

/** A wrapper module generated into the cache (its versions follow kubeadm's constants). */
function generatedModule(ctx: BuildContext, name: string, requires: Record<string, string>, tools: string[]) {
  return () => {
    const dir = path.join(ctx.cache, "modules", `${name}-${Object.values(requires)[0]}`);
    const upstream = Object.entries(requires).map(([m, ver]) => downloadModule(ctx.env, m, ver));
    const goLine = execFileSync("go", ["mod", "edit", "-json", upstream[0].GoMod], { env: ctx.env, encoding: "utf8" });
    const text = simpleWrapperGoMod({ name, go: JSON.parse(goLine).Go, requires, tools });
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, "go.mod")) || fs.readFileSync(path.join(dir, "go.mod"), "utf8") !== text) {
      fs.writeFileSync(path.join(dir, "go.mod"), text);
      fs.rmSync(path.join(dir, "go.sum"), { force: true });
    }
    tidyOnce(ctx.env, dir);
    return dir;
  };
}

function kubernetesComponent(ctx: BuildContext, v: Versions): Component {
  const dir = path.join(ctx.cache, "modules", `kubernetes-${v.kubernetes}`);
  return goComponent(
    "kubernetes",
    v.kubernetes,
    () => {
      writeKubernetesWrapper(ctx.env, dir, v.kubernetes);
      tidyOnce(ctx.env, dir);
      return dir;
    },
    [kubernetesStep(v)],
  );
}

function containerdSteps(v: Versions): GoStep[] {
  const pkg = "github.com/containerd/containerd/v2";
  const vars = [`${pkg}/version.Version=${v.containerd}`, `${pkg}/version.Package=github.com/containerd/containerd`];
  return [
    {
      binaries: { [`${pkg}/cmd/containerd`]: "containerd", [`${pkg}/cmd/ctr`]: "ctr" },
      tags: ["urfave_cli_no_docs"],
      vars,
    },
    // The shim is started once per pod: its Makefile target drops gRPC tracing (no_grpc).
    {
      binaries: { [`${pkg}/cmd/containerd-shim-runc-v2`]: "containerd-shim-runc-v2" },
      tags: ["urfave_cli_no_docs", "no_grpc"],
      vars,
    },
  ];
}

const CNI_PLUGINS = ["main/bridge", "main/loopback", "ipam/host-local", "meta/portmap"];

function flannelChart(v: Versions, tmp: string): void {
  const src = path.dirname(flannelChartDir(process.env, v.flannel));
  // A chart archive holds one top directory named after the chart; helm reads tests/ only from `helm test`.
  execFileSync("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "--exclude=kube-flannel/tests",
    "--transform=s,^kube-flannel,flannel,",
    "-czf",
    path.join(tmp, `flannel-${v.flannelChart}.tgz`),
    "-C",
    src,
    "kube-flannel",
  ]);
}

export function binaryComponents(ctx: BuildContext, v: Versions): Component[] {
  const flannelCniDir = path.join(SCRIPTS, "flannel-cni");
  const pauseSource = path.join(SCRIPTS, "pause", "pause.c");
  const components: Component[] = [
    goComponent("containerd", v.containerd, path.join(MODULES, "containerd"), containerdSteps(v)),
    goComponent("runc", v.runc, path.join(MODULES, "runc"), [
      {
        binaries: { "github.com/opencontainers/runc": "runc" },
        cgoStatic: true,
        tags: ["seccomp", "urfave_cli_no_docs"],
      },
    ]),
    goComponent("cni-plugins", v.cniPlugins, path.join(MODULES, "cni-plugins"), [
      {
        binaries: Object.fromEntries(
          CNI_PLUGINS.map((p) => [`github.com/containernetworking/plugins/plugins/${p}`, path.basename(p)]),
        ),
        vars: [`github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${v.cniPlugins}`],
      },
    ]),
    goComponent(
      "flannel-cni",
      `${v.flannelCni}-${shortHash(...["go.mod", "go.sum", "main.go", "conf.go"].map((f) => fs.readFileSync(path.join(flannelCniDir, f))))}`,
      flannelCniDir,
      [{ binaries: { ".": "flannel" }, vars: [`main.Version=${v.flannelCni}`] }],
    ),
    goComponent(
      "etcd",
      v.etcd,
      generatedModule(ctx, "etcd", { "go.etcd.io/etcd/server/v3": v.etcd, "go.etcd.io/etcd/etcdctl/v3": v.etcd }, [
        "go.etcd.io/etcd/server/v3",
        "go.etcd.io/etcd/etcdctl/v3",
      ]),
      [{ binaries: { "go.etcd.io/etcd/server/v3": "etcd", "go.etcd.io/etcd/etcdctl/v3": "etcdctl" } }],
    ),
    goComponent(
      "coredns",
      v.coredns,
      generatedModule(ctx, "coredns", { "github.com/coredns/coredns": v.coredns }, ["github.com/coredns/coredns"]),
      [{ binaries: { "github.com/coredns/coredns": "coredns" } }],
    ),
    flannelComponent(v),
    {
      id: "pause",
      key: `pause-${v.pause}-${shortHash(fs.readFileSync(pauseSource))}`,
      label: `pause ${v.pause}`,
      build: (tmp) => execFileSync("gcc", ["-static", "-O2", "-Wall", "-o", path.join(tmp, "pause"), pauseSource]),
    },
  ];
  // Last: the longest build (25-40 minutes on two cores) starts once the quick ones are cached.
  const last = kubernetesComponent(ctx, v);
  if (v.kubeVip) {
    components.push(
      goComponent("kube-vip", v.kubeVip, path.join(MODULES, "kube-vip"), [
        { binaries: { "github.com/kube-vip/kube-vip": "kube-vip" }, vars: [`main.Version=${v.kubeVip}`] },
      ]),
    );
  }
  return [...components, last];
}

function flannelComponent(v: Versions): Component {
  const pkg = "github.com/flannel-io/flannel";
  const vars = [`${pkg}/pkg/version.Version=${v.flannel}`];
  const build = goComponent("flannel", v.flannel, path.join(MODULES, "flannel"), [
    // flanneld's UDP backend has a cgo proxy on amd64 (flannel's Makefile builds it static with cgo).
    { binaries: { [pkg]: "flanneld" }, cgoStatic: true, vars },
    { binaries: { [`${pkg}/cmd/install_conf`]: "install-conf" }, vars },
  ]);
  return {
    ...build,
    build: (tmp, dirs) => {
      build.build(tmp, dirs);
      flannelChart(v, tmp);
    },
  };
}

/** The image assembler (scripts/bundle/oci), keyed by its sources. */
export function ociToolComponent(): Component {
  const dir = path.join(SCRIPTS, "oci");
  const hash = shortHash(...["go.mod", "go.sum", "main.go"].map((f) => fs.readFileSync(path.join(dir, f))));
  return {
    id: "tool-oci",
    key: `tool-oci-${hash}`,
    label: "oci-image tool",
    build: (tmp) => runGoStep(process.env, dir, { binaries: { ".": "oci-image" } }, tmp),
  };
}
