// Where every built file goes in the bundle and on the node: the bundle's layout as data.
import { ImageSpec } from "./images";
import { PlannedFile } from "./manifest";

/** A bundle file and its source: a file of a built component, or a unit from scripts/bundle/units. */
export interface Placement {
  from: { component: string; file: string };
  file: PlannedFile;
}

const NODE_BINARIES: [string, string, string][] = [
  ["kubernetes", "kubeadm", "/usr/local/bin"],
  ["kubernetes", "kubelet", "/usr/local/bin"],
  ["kubernetes", "kubectl", "/usr/local/bin"],
  ["containerd", "containerd", "/usr/local/bin"],
  ["containerd", "containerd-shim-runc-v2", "/usr/local/bin"],
  ["containerd", "ctr", "/usr/local/bin"],
  ["runc", "runc", "/usr/local/sbin"],
];

const CNI_BINARIES: [string, string][] = [
  ["cni-plugins", "bridge"],
  ["cni-plugins", "host-local"],
  ["cni-plugins", "loopback"],
  ["cni-plugins", "portmap"],
  ["flannel-cni", "flannel"],
];

const UNITS: [string, string][] = [
  ["containerd.service", "/etc/systemd/system/containerd.service"],
  ["kubelet.service", "/etc/systemd/system/kubelet.service"],
  ["10-kubeadm.conf", "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"],
];

export function bundleLayout(images: ImageSpec[], flannelChartVersion: string): Placement[] {
  const placements: Placement[] = [
    ...NODE_BINARIES.map(([component, file, dir]) => ({
      from: { component, file },
      file: { kind: "binary" as const, path: `bin/${file}`, install: `${dir}/${file}` },
    })),
    ...CNI_BINARIES.map(([component, file]) => ({
      from: { component, file },
      file: { kind: "binary" as const, path: `bin/cni/${file}`, install: `/opt/cni/bin/${file}` },
    })),
    ...images.map((spec) => ({
      from: { component: `image-${spec.name}`, file: "image.tar" },
      file: { kind: "image" as const, path: `images/${spec.name}.tar`, ref: spec.ref, purpose: spec.purpose },
    })),
    {
      from: { component: "flannel", file: `flannel-${flannelChartVersion}.tgz` },
      file: {
        kind: "chart",
        path: `charts/flannel-${flannelChartVersion}.tgz`,
        cni: "flannel",
        version: flannelChartVersion,
      },
    },
    ...UNITS.map(([file, install]) => ({
      from: { component: "units", file },
      file: { kind: "unit" as const, path: `units/${file}`, install },
    })),
  ];
  return placements;
}
