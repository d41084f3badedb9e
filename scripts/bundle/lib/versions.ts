// Every version the bundle is built from: the Kubernetes patch asked for, what its kubeadm expects
// (etcd, CoreDNS, pause), and the pinned versions of the committed wrapper modules.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { downloadModule, moduleTime } from "./go";
import { requiredVersion } from "./go-build";
import { KubeadmConstants, etcdImageTag, etcdModuleVersion, parseKubeadmConstants } from "./kubeadm";

export const SCRIPTS = path.resolve(__dirname, "..");
export const MODULES = path.join(SCRIPTS, "modules");

/** The sample app's image tag (scripts/bundle/app); bump it with any change to the app. */
export const APP_VERSION = "1.0.0";
/** kubelab's own flannel CNI plugin (scripts/bundle/flannel-cni). */
export const FLANNEL_CNI_VERSION = "v1.0.0";
export const DEBIAN_SUITE = "bookworm";

export interface Versions {
  kubernetes: string;
  kubernetesBuildDate: string;
  constants: KubeadmConstants;
  etcdTag: string;
  etcd: string;
  coredns: string;
  pause: string;
  agnhost: string;
  containerd: string;
  runc: string;
  cniPlugins: string;
  flannel: string;
  /** The flannel chart's own version (its Chart.yaml in the flannel module). */
  flannelChart: string;
  flannelCni: string;
  kubeVip?: string;
  app: string;
}

/** Reads the versions; downloads k8s.io/kubernetes (into the shared module cache) to read kubeadm's constants. */
export function resolveVersions(env: NodeJS.ProcessEnv, kubernetes: string): Versions {
  const k8s = downloadModule(env, "k8s.io/kubernetes", kubernetes);
  const constants = parseKubeadmConstants(
    fs.readFileSync(path.join(k8s.Dir, "cmd/kubeadm/app/constants/constants.go"), "utf8"),
  );
  const etcdTag = etcdImageTag(constants, kubernetes);
  const kubeVipDir = path.join(MODULES, "kube-vip");
  const flannel = requiredVersion(env, path.join(MODULES, "flannel"), "github.com/flannel-io/flannel");
  return {
    kubernetes,
    kubernetesBuildDate: moduleTime(k8s),
    constants,
    etcdTag,
    etcd: etcdModuleVersion(etcdTag),
    coredns: constants.coredns,
    pause: constants.pause,
    agnhost: fs.readFileSync(path.join(k8s.Dir, "test/images/agnhost/VERSION"), "utf8").trim(),
    containerd: requiredVersion(env, path.join(MODULES, "containerd"), "github.com/containerd/containerd/v2"),
    runc: requiredVersion(env, path.join(MODULES, "runc"), "github.com/opencontainers/runc"),
    cniPlugins: requiredVersion(env, path.join(MODULES, "cni-plugins"), "github.com/containernetworking/plugins"),
    flannel,
    flannelChart: flannelChartVersion(env, flannel),
    flannelCni: FLANNEL_CNI_VERSION,
    kubeVip: fs.existsSync(kubeVipDir) ? requiredVersion(env, kubeVipDir, "github.com/kube-vip/kube-vip") : undefined,
    app: APP_VERSION,
  };
}

export function flannelChartDir(env: NodeJS.ProcessEnv, flannel: string): string {
  return path.join(downloadModule(env, "github.com/flannel-io/flannel", flannel).Dir, "chart", "kube-flannel");
}

function flannelChartVersion(env: NodeJS.ProcessEnv, flannel: string): string {
  const chart = parseYaml(fs.readFileSync(path.join(flannelChartDir(env, flannel), "Chart.yaml"), "utf8")) as {
    version?: string;
  };
  if (!chart.version) throw new Error(`the flannel ${flannel} chart's Chart.yaml has no version`);
  return chart.version;
}

/** Where each part came from, for manifest.json's builtFrom. */
export function builtFrom(v: Versions, mirror: string): Record<string, string> {
  const from: Record<string, string> = {
    "k8s.io/kubernetes": v.kubernetes,
    "go.etcd.io/etcd/server/v3": v.etcd,
    "github.com/coredns/coredns": v.coredns,
    "github.com/containerd/containerd/v2": v.containerd,
    "github.com/opencontainers/runc": v.runc,
    "github.com/containernetworking/plugins": v.cniPlugins,
    "github.com/flannel-io/flannel": v.flannel,
    "flannel CNI plugin (scripts/bundle/flannel-cni)": v.flannelCni,
    "pause (scripts/bundle/pause)": v.pause,
    "sample app (scripts/bundle/app)": v.app,
    debian: `${DEBIAN_SUITE} from ${mirror}`,
  };
  if (v.kubeVip) from["github.com/kube-vip/kube-vip"] = v.kubeVip;
  return from;
}
