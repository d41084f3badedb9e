// What kubeadm expects for a Kubernetes version, read from its own source (cmd/kubeadm/app/constants),
// and the image references `kubeadm config images list --image-repository R` prints for it.

export interface KubeadmConstants {
  /** DefaultEtcdVersion, e.g. "3.6.8-0". */
  defaultEtcd: string;
  /** SupportedEtcdVersion: Kubernetes minor -> etcd image tag. */
  supportedEtcd: Record<number, string>;
  /** CoreDNSVersion, e.g. "v1.14.2". */
  coredns: string;
  /** PauseVersion, e.g. "3.10.2". */
  pause: string;
}

function stringConstant(source: string, name: string): string {
  const m = new RegExp(`\\b${name}\\s*=\\s*"([^"]+)"`).exec(source);
  if (!m) throw new Error(`kubeadm constants.go: no string constant ${name} (has kubeadm's source layout changed?)`);
  return m[1];
}

/** Reads the constants from the text of cmd/kubeadm/app/constants/constants.go. */
export function parseKubeadmConstants(source: string): KubeadmConstants {
  const block = /SupportedEtcdVersion\s*=\s*map\[uint8\]string\{([^}]*)\}/.exec(source);
  if (!block) throw new Error("kubeadm constants.go: no SupportedEtcdVersion map");
  const supportedEtcd: Record<number, string> = {};
  for (const m of block[1].matchAll(/(\d+)\s*:\s*"([^"]+)"/g)) supportedEtcd[Number(m[1])] = m[2];
  return {
    defaultEtcd: stringConstant(source, "DefaultEtcdVersion"),
    supportedEtcd,
    coredns: stringConstant(source, "CoreDNSVersion"),
    pause: stringConstant(source, "PauseVersion"),
  };
}

/**
 * kubeadm's EtcdSupportedVersion: the tag for the minor, or, outside the map, the nearest end of
 * it (kubeadm warns and uses that); DefaultEtcdVersion only when the map is empty.
 */
export function etcdImageTag(c: KubeadmConstants, kubernetesVersion: string): string {
  const minor = Number(/^v?1\.(\d+)\./.exec(kubernetesVersion)?.[1]);
  const minors = Object.keys(c.supportedEtcd)
    .map(Number)
    .sort((a, b) => a - b);
  if (minors.length === 0 || Number.isNaN(minor)) return c.defaultEtcd;
  if (c.supportedEtcd[minor]) return c.supportedEtcd[minor];
  return c.supportedEtcd[minor < minors[0] ? minors[0] : minors[minors.length - 1]];
}

/** The Go module version of an etcd image tag: "3.6.8-0" -> "v3.6.8" (the suffix is the image revision). */
export function etcdModuleVersion(tag: string): string {
  const m = /^(\d+\.\d+\.\d+)(-\d+)?$/.exec(tag);
  if (!m) throw new Error(`etcd image tag "${tag}" is not <major>.<minor>.<patch>[-<revision>]`);
  return `v${m[1]}`;
}

export type ControlPlaneImage =
  "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kube-proxy" | "coredns" | "pause" | "etcd";

/**
 * The references in kubeadm's order (images.go GetControlPlaneImages). With a custom image
 * repository kubeadm drops CoreDNS's `coredns/` sub-path, which only registry.k8s.io uses.
 */
export function kubeadmImages(
  c: KubeadmConstants,
  kubernetesVersion: string,
  repository: string,
): { purpose: ControlPlaneImage; ref: string }[] {
  const dnsRepository = repository === "registry.k8s.io" ? `${repository}/coredns` : repository;
  return [
    { purpose: "kube-apiserver", ref: `${repository}/kube-apiserver:${kubernetesVersion}` },
    { purpose: "kube-controller-manager", ref: `${repository}/kube-controller-manager:${kubernetesVersion}` },
    { purpose: "kube-scheduler", ref: `${repository}/kube-scheduler:${kubernetesVersion}` },
    { purpose: "kube-proxy", ref: `${repository}/kube-proxy:${kubernetesVersion}` },
    { purpose: "coredns", ref: `${dnsRepository}/coredns:${c.coredns}` },
    { purpose: "pause", ref: `${repository}/pause:${c.pause}` },
    { purpose: "etcd", ref: `${repository}/etcd:${etcdImageTag(c, kubernetesVersion)}` },
  ];
}
