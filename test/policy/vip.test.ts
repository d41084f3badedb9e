import { test } from "node:test";
import assert from "node:assert/strict";
import { VipPlan, vipOutsideNodeCidr, vipOverlap, vipPlanProblems } from "../../policy/rules/vip";

const PLAN: VipPlan = { nodeCidr: "192.168.56.0/24", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };

test("no VIP, or a VIP inside nodeCidr and outside the pod and service ranges: nothing to report", () => {
  assert.deepEqual(vipPlanProblems(PLAN), []);
  assert.deepEqual(vipPlanProblems({ ...PLAN, vip: "192.168.56.100" }), []);
});

test("vip-outside-node-cidr: a VIP off the nodes' network is an error on NetworkPlan/kubelab/vip", () => {
  assert.deepEqual(vipOutsideNodeCidr({ ...PLAN, vip: "192.168.57.100" }), [
    {
      rule: "vip-outside-node-cidr",
      severity: "error",
      resource: "NetworkPlan/kubelab/vip",
      message:
        "VIP 192.168.57.100 lies outside nodeCidr 192.168.56.0/24: kube-vip announces it with ARP, which reaches " +
        "only the nodes' own network, so no node or client would find it; pick an unused address inside 192.168.56.0/24",
    },
  ]);
});

test("vip-outside-node-cidr: a VIP that is no IPv4 address is reported, not taken for outside", () => {
  for (const vip of ["fd00::10", "192.168.56.100/32", "api.lab", " 192.168.56.100"]) {
    assert.deepEqual(
      vipOutsideNodeCidr({ ...PLAN, vip }),
      [
        {
          rule: "vip-outside-node-cidr",
          severity: "error",
          resource: "NetworkPlan/kubelab/vip",
          message: `VIP ${vip} is not an IPv4 address; kube-vip announces an IPv4 address inside nodeCidr with ARP`,
        },
      ],
      vip,
    );
    assert.deepEqual(vipOverlap({ ...PLAN, vip }), [], vip);
  }
});

test("vip-outside-node-cidr: without a (valid) nodeCidr there is nothing to hold the VIP against", () => {
  assert.deepEqual(vipOutsideNodeCidr({ vip: "192.168.57.100" }), []);
  assert.deepEqual(vipOutsideNodeCidr({ nodeCidr: "192.168.56.0", vip: "192.168.57.100" }), []);
});

test("vip-overlap: a VIP inside the pod or the service range is an error naming the range", () => {
  assert.deepEqual(vipOverlap({ ...PLAN, vip: "10.244.3.7" }), [
    {
      rule: "vip-overlap",
      severity: "error",
      resource: "NetworkPlan/kubelab/vip",
      message:
        "VIP 10.244.3.7 lies inside podCidr 10.244.0.0/16: packets to it would be routed to pods, not to the API " +
        "servers; pick an unused address inside nodeCidr 192.168.56.0/24",
    },
  ]);
  assert.deepEqual(
    vipOverlap({ podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", vip: "10.100.0.1" }).map((v) => v.message),
    [
      "VIP 10.100.0.1 lies inside serviceCidr 10.96.0.0/12: packets to it would be routed to Services, not to the " +
        "API servers; pick an unused address inside nodeCidr",
    ],
  );
});

test("the rules are independent: inside nodeCidr but in the service range is only vip-overlap, outside both is both", () => {
  const plan: VipPlan = {
    nodeCidr: "10.96.0.0/24",
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    vip: "10.96.0.50",
  };
  assert.deepEqual(
    vipPlanProblems(plan).map((v) => v.rule),
    ["vip-overlap"],
  );
  assert.deepEqual(
    vipPlanProblems({ ...plan, nodeCidr: "192.168.56.0/24" }).map((v) => v.rule),
    ["vip-outside-node-cidr", "vip-overlap"],
  );
});
