import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { rawConfigSchema } from "../lib/config-schema";
import { parseLabConfig } from "../config";
import { messagesOf, parse, problemsOf, staticRaw } from "./helpers";

const network = (n: Record<string, unknown>) => ({ network: { nodeCidr: "192.168.56.0/24", ...n } });

test("a valid static config parses with defaults and control planes first", () => {
  const cfg = parse(staticRaw());
  assert.equal(cfg.kubernetesMinor, "1.36");
  assert.deepEqual(
    cfg.nodes.specs.map((s) => s.name),
    ["cp-1", "worker-1", "worker-2"],
  );
  assert.deepEqual(cfg.network.nodePortRange, { low: 30000, high: 32767 });
  assert.equal(cfg.network.cni, "calico");
  assert.equal(cfg.network.podCidr, "10.244.0.0/16");
});

test("multipass generates cp-N and worker-N names", () => {
  const cfg = parse({ nodes: { provider: "multipass", controlPlanes: 1, workers: 2 } });
  assert.deepEqual(
    cfg.nodes.specs.map((s) => `${s.name}:${s.role}`),
    ["cp-1:control-plane", "worker-1:worker", "worker-2:worker"],
  );
});

test("Pulumi.yaml defaults equal the schema defaults", () => {
  const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
  const defaults = rawConfigSchema.parse({ nodes: { provider: "static" } });
  for (const key of ["ssh", "network", "app", "verify"] as const) {
    assert.deepEqual(project.config[`kubelab:${key}`].default, defaults[key], key);
  }
  assert.equal(project.config["kubelab:kubernetesVersion"].default, defaults.kubernetesVersion);
});

const cases: { name: string; raw: Record<string, unknown>; message: string }[] = [
  {
    name: "unsupported kubernetesVersion",
    raw: staticRaw({ kubernetesVersion: "1.29" }),
    message:
      'kubelab:kubernetesVersion = "1.29": not a supported version; use a minor (1.34, 1.35, 1.36, 1.37) or an exact patch such as 1.36.4',
  },
  {
    name: "unknown provider",
    raw: { nodes: { provider: "vagrant" } },
    message: 'kubelab:nodes.provider = "vagrant": Invalid option: expected one of "multipass"|"static"|"local"',
  },
  {
    name: "unknown cni",
    raw: staticRaw(network({ cni: "weave" })),
    message: 'kubelab:network.cni = "weave": Invalid option: expected one of "calico"|"flannel"|"cilium"',
  },
  {
    name: "even control-plane count",
    raw: { nodes: { provider: "multipass", controlPlanes: 2, workers: 1, controlPlaneEndpoint: "10.0.0.5" } },
    message:
      'kubelab:nodes.controlPlanes = "2 control plane(s)": use 1 control plane, or an odd number >= 3 so etcd keeps quorum',
  },
  {
    name: "host name not RFC 1123",
    raw: staticRaw({
      nodes: { provider: "static", hosts: [{ name: "CP_1", address: "192.168.56.10", role: "control-plane" }] },
    }),
    message: `kubelab:nodes.hosts[0].name = "CP_1": must be an RFC 1123 host name: lowercase letters, digits, '-' and '.'`,
  },
  {
    name: "duplicate host name",
    raw: staticRaw({
      nodes: {
        provider: "static",
        hosts: [
          { name: "cp-1", address: "192.168.56.10", role: "control-plane" },
          { name: "cp-1", address: "192.168.56.11", role: "worker" },
        ],
      },
    }),
    message: 'kubelab:nodes.hosts[1].name = "cp-1": duplicates nodes.hosts[0].name; every host needs a unique name',
  },
  {
    name: "duplicate host address",
    raw: staticRaw({
      nodes: {
        provider: "static",
        hosts: [
          { name: "cp-1", address: "192.168.56.10", role: "control-plane" },
          { name: "worker-1", address: "192.168.56.10", role: "worker" },
        ],
      },
    }),
    message:
      'kubelab:nodes.hosts[1].address = "192.168.56.10": duplicates nodes.hosts[0].address; every host needs a unique address',
  },
  {
    name: "address outside nodeCidr",
    raw: staticRaw({
      nodes: { provider: "static", hosts: [{ name: "cp-1", address: "10.1.2.3", role: "control-plane" }] },
    }),
    message:
      'kubelab:nodes.hosts[0].address = "10.1.2.3": is outside nodeCidr 192.168.56.0/24; fix the address or set kubelab:network.nodeCidr to the hosts\' subnet',
  },
  {
    name: "invalid CIDR",
    raw: staticRaw(network({ podCidr: "10.244.0.0/33" })),
    message:
      'kubelab:network.podCidr = "10.244.0.0/33": not a valid CIDR; write an address and prefix such as 10.244.0.0/16',
  },
  {
    name: "cidr-overlap between service and pod CIDRs",
    raw: staticRaw(network({ podCidr: "10.96.0.0/16" })),
    message:
      '[cidr-overlap] kubelab:network.podCidr = "10.96.0.0/16": podCidr 10.96.0.0/16 overlaps serviceCidr 10.96.0.0/12: a packet to an address in both ranges cannot be routed to both a node and a pod/service; choose disjoint ranges (for example nodeCidr 192.168.64.0/24, podCidr 10.244.0.0/16, serviceCidr 10.96.0.0/12)',
  },
  {
    name: "service-cidr-size",
    raw: staticRaw(network({ serviceCidr: "10.64.0.0/10" })),
    message:
      '[service-cidr-size] kubelab:network.serviceCidr = "10.64.0.0/10": serviceCidr 10.64.0.0/10 has 22 host bits; kube-apiserver accepts at most 20 for IPv4, so use /12 or longer (e.g. 10.96.0.0/12)',
  },
  {
    name: "pod-cidr-capacity",
    raw: staticRaw(network({ podCidr: "10.244.0.0/23" })),
    message:
      '[pod-cidr-capacity] kubelab:network.podCidr = "10.244.0.0/23": podCidr 10.244.0.0/23 holds 2 per-node /24 range(s) but the cluster has 3 nodes; use a prefix of /22 or shorter (e.g. 10.244.0.0/16)',
  },
  {
    name: "malformed nodePortRange",
    raw: staticRaw(network({ nodePortRange: "32767-30000" })),
    message:
      '[nodeport-range] kubelab:network.nodePortRange = "32767-30000": not a port range; write LOW-HIGH with 1 <= LOW < HIGH <= 65535, e.g. 30000-32767',
  },
  {
    name: "app NodePort outside the range",
    raw: staticRaw({ app: { voteNodePort: 8080 } }),
    message:
      "[nodeport-range] kubelab:app.voteNodePort = 8080: nodePort 8080 of app.voteNodePort is outside the node port range 30000-32767; pick a port in that range or widen --service-node-port-range (kubelab:network.nodePortRange)",
  },
  {
    name: "app NodePorts not distinct",
    raw: staticRaw({ app: { voteNodePort: 30004, resultNodePort: 30004 } }),
    message:
      "[nodeport-duplicate] kubelab:app.resultNodePort = 30004: nodePort 30004 is claimed by app.voteNodePort and app.resultNodePort; every node listens once per port, so give each a distinct nodePort",
  },
  {
    name: "controlPlaneEndpoint missing for HA",
    raw: staticRaw({
      nodes: {
        provider: "static",
        hosts: [
          { name: "cp-1", address: "192.168.56.10", role: "control-plane" },
          { name: "cp-2", address: "192.168.56.11", role: "control-plane" },
          { name: "cp-3", address: "192.168.56.12", role: "control-plane" },
        ],
      },
    }),
    message:
      "kubelab:nodes.controlPlaneEndpoint = (not set): required with 3 control planes: set kubelab:nodes.vip to {address: <an unused address in nodeCidr>} for a kube-vip virtual IP, or give a stable address (VIP or DNS name, optional :port) in front of every API server",
  },
  {
    name: "HA on multipass without an endpoint that exists before the VMs",
    raw: { nodes: { provider: "multipass", controlPlanes: 3, workers: 0 } },
    message:
      "kubelab:nodes.controlPlaneEndpoint = (not set): required with 3 control planes, and on multipass it must exist before the VMs do: run a TCP load balancer for port 6443 on an address the VMs reach (e.g. HAProxy on this machine's Multipass bridge address), or use a DNS name you point at the control planes once they are up, and set kubelab:nodes.controlPlaneEndpoint to it (host[:port]); or set kubelab:nodes.controlPlanes to 1",
  },
  {
    name: "a loopback controlPlaneEndpoint",
    raw: { nodes: { provider: "multipass", controlPlanes: 3, workers: 0, controlPlaneEndpoint: "127.0.0.1:6443" } },
    message:
      'kubelab:nodes.controlPlaneEndpoint = "127.0.0.1:6443": is not an address the nodes can reach; use an address or DNS name in front of the API servers',
  },
  {
    name: "a controlPlaneEndpoint inside the service CIDR",
    raw: staticRaw({
      nodes: {
        provider: "static",
        hosts: [{ name: "cp-1", address: "192.168.56.10", role: "control-plane" }],
        controlPlaneEndpoint: "10.96.0.10",
      },
    }),
    message:
      'kubelab:nodes.controlPlaneEndpoint = "10.96.0.10": lies inside serviceCidr 10.96.0.0/12, which belongs to pods or Services; use an address outside the cluster\'s ranges',
  },
  {
    name: "networkpolicy-unenforced with flannel",
    raw: staticRaw(network({ cni: "flannel" })),
    message:
      "[networkpolicy-unenforced] kubelab:app.networkPolicies = true: cni flannel does not enforce NetworkPolicy, so the app's policies would silently allow everything; use cni calico or cilium, or set kubelab:app.networkPolicies to false",
  },
  {
    name: "unknown key",
    raw: staticRaw({ netwrok: {} }),
    message: "kubelab:netwrok = (not set): unknown key; check the spelling against the config reference in README.md",
  },
  {
    name: "missing private key file",
    raw: staticRaw({ ssh: { privateKeyPath: "/nonexistent/id" } }),
    message:
      'kubelab:ssh.privateKeyPath = "/nonexistent/id": file not found; create one with ssh-keygen -t ed25519, or set the secret with pulumi config set --secret kubelab:sshPrivateKey < KEYFILE',
  },
];

for (const c of cases) {
  test(`rejects ${c.name} with an exact message`, () => {
    const messages =
      c.name === "missing private key file" ? messagesOf(c.raw, (raw) => parseLabConfig(raw)) : messagesOf(c.raw);
    assert.ok(messages.includes(`- ${c.message}`), `got:\n${messages.join("\n")}`);
  });
}

test("three different mistakes are reported together in one error", () => {
  const problems = problemsOf(
    staticRaw({
      kubernetesVersion: "1.20",
      network: { nodeCidr: "192.168.56.0/24", podCidr: "192.168.0.0/16", serviceCidr: "10.0.0.0/8" },
    }),
  );
  const keys = problems.map((p) => `${p.rule ?? "-"} ${p.key}`);
  assert.ok(keys.includes("- kubelab:kubernetesVersion"), keys.join("\n"));
  assert.ok(keys.includes("cidr-overlap kubelab:network.nodeCidr"), keys.join("\n"));
  assert.ok(keys.includes("service-cidr-size kubelab:network.serviceCidr"), keys.join("\n"));
});

test("schema mistakes and cross-field problems come in one round", () => {
  const problems = problemsOf(
    staticRaw({
      ssh: { port: "22" },
      app: { voteNodePort: "30004" },
      network: { nodeCidr: "192.168.56.0/24", podCidr: "10.96.0.0/16" },
      kubernetesVersion: "1.20",
    }),
  );
  const keys = problems.map((p) => `${p.rule ?? "-"} ${p.key}`);
  // Schema: ssh.port and app.voteNodePort are strings. Cross-field: the version, and the pod range
  // overlapping the service range, which does not depend on the broken sections.
  assert.ok(keys.includes("- kubelab:ssh.port"), keys.join("\n"));
  assert.ok(keys.includes("- kubelab:app.voteNodePort"), keys.join("\n"));
  assert.ok(keys.includes("- kubelab:kubernetesVersion"), keys.join("\n"));
  assert.ok(keys.includes("cidr-overlap kubelab:network.podCidr"), keys.join("\n"));
  // A check reading a broken section stays quiet rather than guess: no NodePort finding on the string port.
  assert.ok(!keys.some((k) => k.startsWith("nodeport")), keys.join("\n"));
});

test("the error header counts the problems", () => {
  try {
    parse(staticRaw({ kubernetesVersion: "x", app: { voteNodePort: 1 } }));
    assert.fail("expected an error");
  } catch (error) {
    assert.match((error as Error).message, /^invalid kubelab stack config \(2 problems\):/);
  }
});

test("kube-proxy replacement needs cilium", () => {
  const messages = messagesOf(staticRaw(network({ kubeProxyReplacement: true })));
  assert.ok(
    messages.includes(
      "- kubelab:network.kubeProxyReplacement = true: only cilium can replace kube-proxy; set cni to cilium or kubeProxyReplacement to false",
    ),
    messages.join("\n"),
  );
});
