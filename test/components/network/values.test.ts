import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AddonArgs,
  addonPlan,
  addonRelease,
  assertAddonMatchesPlan,
  enforcesNetworkPolicy,
  poolCidrsOf,
  reachAddress,
} from "../../../components/network/values";

const base: AddonArgs = {
  cni: "calico",
  podCidr: "10.244.0.0/16",
  nodeCidr: "192.168.56.0/24",
  serviceCidr: "10.96.0.0/12",
  kubeProxyReplacement: false,
  chartVersion: "v1.0.0",
};

function errorOf(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("expected an error");
}

describe("calico release", () => {
  const release = addonRelease({ ...base, cni: "calico", podCidr: "10.50.0.0/16" });
  const network = (release.installation as { calicoNetwork: Record<string, unknown> }).calicoNetwork;

  it("installs tigera-operator from the Calico chart repo into a privileged tigera-operator namespace", () => {
    assert.equal(release.chart, "tigera-operator");
    assert.equal(release.repo, "https://docs.tigera.io/calico/charts");
    assert.equal(release.version, "v1.0.0");
    assert.equal(release.namespace, "tigera-operator");
    assert.deepEqual(release.namespaceLabels, { "pod-security.kubernetes.io/enforce": "privileged" });
  });

  it("has the chart run only the operator: no Installation, APIServer, Goldmane or Whisker from values", () => {
    assert.deepEqual(release.values, {
      installation: { enabled: false },
      apiServer: { enabled: false },
      goldmane: { enabled: false },
      whisker: { enabled: false },
    });
  });

  it("sets the Installation's only IP pool to the pod CIDR with VXLAN and outgoing NAT", () => {
    assert.deepEqual(network.ipPools, [
      {
        name: "default-ipv4-ippool",
        cidr: "10.50.0.0/16",
        blockSize: 26,
        encapsulation: "VXLAN",
        natOutgoing: "Enabled",
        nodeSelector: "all()",
      },
    ]);
    assert.deepEqual(release.poolCidrs, ["10.50.0.0/16"]);
  });

  it("binds node address autodetection to nodeCidr", () => {
    assert.deepEqual(network.nodeAddressAutodetectionV4, { cidrs: ["192.168.56.0/24"] });
  });

  it("turns BGP off: VXLAN needs none", () => {
    assert.equal(network.bgp, "Disabled");
  });

  it("reads the pool from the Installation kubelab creates, not from the chart's disabled one", () => {
    const installation = { calicoNetwork: { ipPools: [{ cidr: "10.50.0.0/16" }] } };
    const stale = { enabled: false, calicoNetwork: { ipPools: [{ cidr: "10.99.0.0/16" }] } };
    assert.deepEqual(poolCidrsOf("calico", { values: { installation: stale }, installation }, base.podCidr), [
      "10.50.0.0/16",
    ]);
  });

  it("reads the pool from the chart's Installation when the chart renders it", () => {
    const values = { installation: { enabled: true, calicoNetwork: { ipPools: [{ cidr: "10.51.0.0/16" }] } } };
    assert.deepEqual(poolCidrsOf("calico", { values }, base.podCidr), ["10.51.0.0/16"]);
  });

  it("falls back to Calico's 192.168.0.0/16 when no pool is set anywhere", () => {
    const values = { installation: { enabled: false, calicoNetwork: { ipPools: [{ cidr: "10.52.0.0/16" }] } } };
    assert.deepEqual(poolCidrsOf("calico", { values }, base.podCidr), ["192.168.0.0/16"]);
    assert.deepEqual(poolCidrsOf("calico", { values: {}, installation: {} }, base.podCidr), ["192.168.0.0/16"]);
  });

  it("waits on calico-node in calico-system, where the operator puts it", () => {
    assert.deepEqual(release.agent, { namespace: "calico-system", selector: "k8s-app=calico-node" });
  });
});

describe("flannel release", () => {
  const release = addonRelease({ ...base, cni: "flannel", podCidr: "10.60.0.0/16", nodeCidr: "172.16.8.0/22" });
  const flannel = (release.values as { flannel: { args: string[]; backend: string } }).flannel;

  it("installs the flannel chart into kube-flannel labelled privileged", () => {
    assert.equal(release.chart, "flannel");
    assert.equal(release.installation, undefined);
    assert.equal(release.repo, "https://flannel-io.github.io/flannel/");
    assert.equal(release.namespace, "kube-flannel");
    assert.deepEqual(release.namespaceLabels, { "pod-security.kubernetes.io/enforce": "privileged" });
  });

  it("sets podCidr to the pod CIDR", () => {
    assert.equal(release.values.podCidr, "10.60.0.0/16");
    assert.deepEqual(release.poolCidrs, ["10.60.0.0/16"]);
  });

  it("picks the interface that routes to nodeCidr, keeping the chart's default flags", () => {
    assert.deepEqual(flannel.args, ["--ip-masq", "--kube-subnet-mgr", "--iface-can-reach=172.16.8.0"]);
    assert.equal(flannel.backend, "vxlan");
  });

  it("routes towards the network address, which no node owns", () => {
    assert.equal(reachAddress("192.168.64.0/24"), "192.168.64.0");
    assert.equal(reachAddress("192.168.64.77/24"), "192.168.64.0");
    assert.match(
      errorOf(() => reachAddress("not-a-cidr")),
      /nodeCidr "not-a-cidr" is not a CIDR/,
    );
  });

  it("waits on the flannel DaemonSet's pods", () => {
    assert.deepEqual(release.agent, { namespace: "kube-flannel", selector: "app=flannel" });
  });
});

describe("cilium release", () => {
  it("uses Kubernetes IPAM so pods get addresses from kubeadm's podSubnet", () => {
    const release = addonRelease({ ...base, cni: "cilium", podCidr: "10.70.0.0/16" });
    assert.equal(release.chart, "cilium");
    assert.equal(release.repo, "https://helm.cilium.io/");
    assert.equal(release.namespace, "kube-system");
    assert.deepEqual(release.values.ipam, { mode: "kubernetes" });
    assert.deepEqual(release.poolCidrs, ["10.70.0.0/16"]);
    assert.deepEqual(release.agent, { namespace: "kube-system", selector: "k8s-app=cilium" });
  });

  it("keeps kube-proxy and leaves the API server to the kubernetes Service without replacement", () => {
    const values = addonRelease({ ...base, cni: "cilium" }).values;
    assert.equal(values.kubeProxyReplacement, false);
    assert.equal(values.k8sServiceHost, undefined);
    assert.equal(values.nodePort, undefined);
  });

  it("with kube-proxy replacement, points agents at the API server and binds NodePorts to nodeCidr", () => {
    const values = addonRelease({
      ...base,
      cni: "cilium",
      kubeProxyReplacement: true,
      apiServerHost: "192.168.56.100",
      apiServerPort: 6443,
    }).values;
    assert.equal(values.kubeProxyReplacement, true);
    assert.equal(values.k8sServiceHost, "192.168.56.100");
    assert.equal(values.k8sServicePort, 6443);
    assert.deepEqual(values.nodePort, { addresses: ["192.168.56.0/24"] });
  });

  it("defaults the API server port to 6443", () => {
    const values = addonRelease({ ...base, cni: "cilium", kubeProxyReplacement: true, apiServerHost: "cp" }).values;
    assert.equal(values.k8sServicePort, 6443);
  });

  it("refuses kube-proxy replacement without an API server host", () => {
    const message = errorOf(() => addonRelease({ ...base, cni: "cilium", kubeProxyReplacement: true }));
    assert.match(message, /cilium with kubeProxyReplacement needs apiServerHost/);
  });

  it("reads the chart's 10.0.0.0/8 cluster pool back when IPAM is left at its default", () => {
    assert.deepEqual(poolCidrsOf("cilium", { values: {} }, "10.244.0.0/16"), ["10.0.0.0/8"]);
    const pooled = { ipam: { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: ["10.1.0.0/16"] } } };
    assert.deepEqual(poolCidrsOf("cilium", { values: pooled }, "10.244.0.0/16"), ["10.1.0.0/16"]);
  });

  it("has certgen sign Hubble's certificates in the cluster, so renders stay identical between runs", () => {
    const release = addonRelease({ ...base, cni: "cilium" });
    assert.deepEqual(release.values.hubble, { tls: { auto: { method: "cronJob" } } });
    assert.deepEqual(addonRelease({ ...base, cni: "cilium" }).values, release.values);
    assert.equal(release.installation, undefined);
  });
});

describe("assertAddonMatchesPlan", () => {
  const plan = addonPlan(base);

  it("accepts every addon rendered from the plan", () => {
    for (const cni of ["calico", "flannel", "cilium"] as const) {
      const args = { ...base, cni, kubeProxyReplacement: cni === "cilium", apiServerHost: "192.168.56.10" };
      assert.doesNotThrow(() => assertAddonMatchesPlan(addonRelease(args), addonPlan(args)));
    }
  });

  it("rejects Calico's default 192.168.0.0/16 pool, naming cni-cidr-mismatch and the overlap with nodeCidr", () => {
    const message = errorOf(() => assertAddonMatchesPlan({ cni: "calico", poolCidrs: ["192.168.0.0/16"] }, plan));
    assert.match(message, /^the calico pod network does not match the network plan \(2 problems\):/);
    assert.match(
      message,
      /- \[cni-cidr-mismatch\] the calico pod pool 192\.168\.0\.0\/16 differs from podCidr 10\.244\.0\.0\/16/,
    );
    assert.match(message, /- \[cidr-overlap\] nodeCidr 192\.168\.56\.0\/24 overlaps cniPool 192\.168\.0\.0\/16/);
  });

  it("rejects Cilium's default cluster pool read back from its values", () => {
    const pools = poolCidrsOf("cilium", { values: { ipam: { mode: "cluster-pool" } } }, base.podCidr);
    const message = errorOf(() =>
      assertAddonMatchesPlan({ cni: "cilium", poolCidrs: pools }, { ...plan, cni: "cilium" }),
    );
    assert.match(
      message,
      /\[cni-cidr-mismatch\] the cilium pod pool 10\.0\.0\.0\/8 differs from podCidr 10\.244\.0\.0\/16/,
    );
    assert.match(message, /\[cidr-overlap\] .*cniPool 10\.0\.0\.0\/8/);
  });

  it("rejects a Calico Installation pool that differs from kubeadm's", () => {
    const release = addonRelease({ ...base, cni: "calico", podCidr: "10.245.0.0/16" });
    const message = errorOf(() => assertAddonMatchesPlan(release, plan));
    assert.match(message, /\[cni-cidr-mismatch\] the calico pod pool 10\.245\.0\.0\/16 differs/);
  });

  it("rejects a flannel podCidr that differs from kubeadm's", () => {
    const release = addonRelease({ ...base, cni: "flannel", podCidr: "10.245.0.0/16" });
    const message = errorOf(() => assertAddonMatchesPlan(release, plan));
    assert.match(message, /\[cni-cidr-mismatch\] the flannel pod pool 10\.245\.0\.0\/16 differs/);
  });
});

describe("enforcesNetworkPolicy", () => {
  it("is false only for flannel", () => {
    assert.equal(enforcesNetworkPolicy("calico"), true);
    assert.equal(enforcesNetworkPolicy("cilium"), true);
    assert.equal(enforcesNetworkPolicy("flannel"), false);
  });
});
