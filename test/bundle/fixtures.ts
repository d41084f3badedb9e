// Versions for bundle tests: the values a v1.36.3 build resolves, with no module download.
import { Versions } from "../../scripts/bundle/lib/versions";

export function fakeVersions(overrides: Partial<Versions> = {}): Versions {
  return {
    kubernetes: "v1.36.3",
    kubernetesBuildDate: "2026-07-22T18:07:38Z",
    constants: { defaultEtcd: "3.6.8-0", supportedEtcd: { 36: "3.6.8-0" }, coredns: "v1.14.2", pause: "3.10.2" },
    etcdTag: "3.6.8-0",
    etcd: "v3.6.8",
    coredns: "v1.14.2",
    pause: "3.10.2",
    agnhost: "2.63.0",
    containerd: "v2.4.2",
    runc: "v1.4.4",
    cniPlugins: "v1.10.0",
    flannel: "v0.28.10",
    flannelChart: "v0.28.10",
    flannelCni: "v1.0.0",
    kubeVip: "v1.0.0",
    app: "1.0.0",
    ...overrides,
  };
}
