import { test } from "node:test";
import assert from "node:assert/strict";
import { VipInput, resolveVip } from "../../lib/vip";

const STATIC: VipInput = {
  provider: "static",
  nodeCidr: "192.168.56.0/24",
  controlPlanes: 3,
  hosts: [
    { name: "cp-1", address: "192.168.56.10" },
    { name: "cp-2", address: "192.168.56.11" },
    { name: "cp-3", address: "192.168.56.12" },
    { name: "worker-1", address: "192.168.56.21" },
  ],
};
const LOCAL: VipInput = {
  provider: "local",
  nodeCidr: "10.213.0.0/24",
  controlPlanes: 3,
  localNodeNames: ["cp-1", "cp-2", "cp-3", "worker-1"],
};
const MULTIPASS: VipInput = { provider: "multipass", nodeCidr: "192.168.64.0/24", controlPlanes: 3 };

const withVip = (base: VipInput, address: string, extra: Partial<VipInput> = {}): VipInput => ({
  ...base,
  vip: { address },
  ...extra,
});

/** The single problem of an input, as [key, value, message]. */
function onlyProblem(input: VipInput): [string, unknown, string] {
  const result = resolveVip(input);
  assert.equal(result.address, undefined);
  assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
  const [p] = result.problems;
  return [p.key, p.value, p.message];
}

test("no nodes.vip: nothing to resolve, nothing to say", () => {
  assert.deepEqual(resolveVip(STATIC), { problems: [], warnings: [] });
});

test("an unused address inside nodeCidr is the VIP, with no problem and no warning", () => {
  assert.deepEqual(resolveVip(withVip(STATIC, "192.168.56.100")), {
    address: "192.168.56.100",
    problems: [],
    warnings: [],
  });
});

test("auto on local nodes takes nodeCidr's highest host address", () => {
  assert.deepEqual(resolveVip(withVip(LOCAL, "auto")), { address: "10.213.0.254", problems: [], warnings: [] });
});

test("auto on local nodes steps below addresses the bridge and the nodes take", () => {
  // 10.213.0.0/29: bridge .1, nodes .2-.5, broadcast .7.
  const small = { ...LOCAL, nodeCidr: "10.213.0.0/29" };
  assert.equal(resolveVip(withVip(small, "auto")).address, "10.213.0.6");
  const full = { ...small, localNodeNames: ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2"] };
  assert.deepEqual(onlyProblem(withVip(full, "auto")), [
    "kubelab:nodes.vip.address",
    "auto",
    "finds no address left in nodeCidr 10.213.0.0/29 after the bridge's and the nodes'; use a larger network",
  ]);
});

test("auto is refused on multipass, whose DHCP server may lease any address of its network", () => {
  assert.deepEqual(onlyProblem(withVip(MULTIPASS, "auto")), [
    "kubelab:nodes.vip.address",
    "auto",
    "is refused on multipass: Multipass's DHCP server leases every address from .2 to .254 of its network to " +
      "VMs, so no address chosen here is sure to stay free; write an address outside the DHCP range of nodeCidr " +
      "192.168.64.0/24 (e.g. on a bridged network whose DHCP range leaves room)",
  ]);
});

test("auto is refused for static hosts, with the highest address no host has as an example", () => {
  const hosts = [...(STATIC.hosts ?? []), { name: "gateway", address: "192.168.56.254" }];
  assert.deepEqual(onlyProblem(withVip({ ...STATIC, hosts }, "auto")), [
    "kubelab:nodes.vip.address",
    "auto",
    "is only for provider local, whose addresses kubelab assigns itself; with static hosts write an address no " +
      "machine on nodeCidr 192.168.56.0/24 uses, e.g. 192.168.56.253 (the highest no host has)",
  ]);
});

test("nodes.vip and controlPlaneEndpoint together are an error: the endpoint would win silently", () => {
  assert.deepEqual(onlyProblem(withVip(STATIC, "192.168.56.100", { controlPlaneEndpoint: "api.lab:6443" })), [
    "kubelab:nodes.vip",
    { address: "192.168.56.100" },
    "and kubelab:nodes.controlPlaneEndpoint (api.lab:6443) are both set; the VIP becomes the endpoint, so remove " +
      "controlPlaneEndpoint to use the VIP, or remove nodes.vip to keep your own endpoint",
  ]);
});

test("anything but a bare dotted quad is not an address", () => {
  for (const text of ["192.168.56", "192.168.56.100/32", "192.168.056.100", "192.168.56.300", "fd00::1", " 10.0.0.1"]) {
    assert.deepEqual(
      onlyProblem(withVip(STATIC, text)),
      [
        "kubelab:nodes.vip.address",
        text,
        "is not an IPv4 address; write an unused address inside nodeCidr 192.168.56.0/24, e.g. 192.168.56.254",
      ],
      text,
    );
  }
  assert.equal(
    onlyProblem(withVip(LOCAL, "ten"))[2],
    "is not an IPv4 address; write an unused address inside nodeCidr 10.213.0.0/24, e.g. 10.213.0.254, or write auto",
  );
});

test("an address outside nodeCidr is refused: ARP only reaches the nodes' own network", () => {
  assert.deepEqual(onlyProblem(withVip(STATIC, "192.168.57.100")), [
    "kubelab:nodes.vip.address",
    "192.168.57.100",
    "is outside nodeCidr 192.168.56.0/24; kube-vip announces the VIP with ARP, which only reaches the nodes' own " +
      "network: pick an unused address inside it, e.g. 192.168.56.254",
  ]);
});

test("nodeCidr's network and broadcast addresses are refused", () => {
  assert.equal(
    onlyProblem(withVip(STATIC, "192.168.56.0"))[2],
    "is the network address of nodeCidr 192.168.56.0/24, which no host can use; pick a host address, e.g. 192.168.56.254",
  );
  assert.equal(
    onlyProblem(withVip(STATIC, "192.168.56.255"))[2],
    "is the broadcast address of nodeCidr 192.168.56.0/24, which no host can use; pick a host address, e.g. 192.168.56.254",
  );
});

test("a static host's address is refused, naming the host", () => {
  assert.deepEqual(onlyProblem(withVip(STATIC, "192.168.56.11")), [
    "kubelab:nodes.vip.address",
    "192.168.56.11",
    "is the address of nodes.hosts[1] (cp-2); the VIP must be an address no machine has, e.g. 192.168.56.254",
  ]);
});

test("the address a local node gets, and the bridge's, are refused", () => {
  assert.equal(
    onlyProblem(withVip(LOCAL, "10.213.0.3"))[2],
    "is the address local node cp-2 gets; the VIP must be an address no machine has, e.g. 10.213.0.254, or write auto",
  );
  assert.equal(
    onlyProblem(withVip(LOCAL, "10.213.0.1"))[2],
    "is the address of the local nodes' bridge (their gateway); the VIP must be an address no machine has, " +
      "e.g. 10.213.0.254, or write auto",
  );
});

test("on multipass the bridge's address is refused, and any other address comes with a DHCP warning", () => {
  assert.equal(
    onlyProblem(withVip(MULTIPASS, "192.168.64.1"))[2],
    "is the address Multipass gives its bridge (the VMs' gateway); the VIP must be an address no machine has, " +
      "e.g. 192.168.64.254",
  );
  assert.deepEqual(resolveVip(withVip(MULTIPASS, "192.168.64.200")), {
    address: "192.168.64.200",
    problems: [],
    warnings: [
      {
        key: "kubelab:nodes.vip.address",
        value: "192.168.64.200",
        message:
          "make sure no DHCP server on nodeCidr can lease this address (Multipass's own leases .2 to .254 of its " +
          "network): the first control plane refuses an address that already answers, but a VM launched later " +
          "could still be given it",
      },
    ],
  });
});

test("a VIP with one control plane is a warning, not an error", () => {
  const input = withVip({ ...STATIC, controlPlanes: 1 }, "192.168.56.100");
  assert.deepEqual(resolveVip(input), {
    address: "192.168.56.100",
    problems: [],
    warnings: [
      {
        key: "kubelab:nodes.vip",
        value: { address: "192.168.56.100" },
        message:
          "with 1 control plane the VIP has nowhere to move, so kube-vip adds a moving part and no availability; " +
          "use 3 control planes, or remove nodes.vip",
      },
    ],
  });
});

test("an IPv6 node network cannot carry an ARP VIP; an invalid nodeCidr is left to its own check", () => {
  assert.deepEqual(onlyProblem(withVip({ ...STATIC, nodeCidr: "fd00:56::/64", hosts: [] }, "fd00:56::100")), [
    "kubelab:nodes.vip.address",
    "fd00:56::100",
    "kube-vip announces the VIP with ARP, which needs an IPv4 nodeCidr, and nodeCidr is fd00:56::/64; " +
      "remove kubelab:nodes.vip or use an IPv4 node network",
  ]);
  assert.deepEqual(resolveVip(withVip({ ...STATIC, nodeCidr: "192.168.56.0" }, "192.168.56.100")), {
    problems: [],
    warnings: [],
  });
});
