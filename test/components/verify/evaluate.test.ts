import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import {
  canonicalIp,
  clientHost,
  evaluate,
  formatReport,
  NetworkReport,
  REQUIREMENTS,
  RequirementId,
  unreadableReport,
} from "../../../components/verify/evaluate";
import { Observations, parseObservations } from "../../../components/verify/observations";

// Fixtures are network-check.sh's own output against the stub cluster of network-check.bats
// (cp-1, worker-1, worker-2), each broken in one way.
const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "verify");
const plan = { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };

function fixture(name: string): Observations {
  return parseObservations(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
}

function failing(report: NetworkReport): RequirementId[] {
  return report.requirements.filter((r) => !r.ok).map((r) => r.requirement);
}

function evidenceOf(report: NetworkReport, id: RequirementId): string[] {
  return report.requirements.find((r) => r.requirement === id)!.evidence;
}

describe("evaluate", () => {
  it("passes every requirement on a healthy cluster, in report order, without evidence", () => {
    const report = evaluate(fixture("all-good"), plan);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.requirements.map((r) => r.requirement),
      REQUIREMENTS.map((r) => r.id),
    );
    assert.deepEqual(
      report.requirements.flatMap((r) => r.evidence),
      [],
    );
    assert.equal(
      report.requirements.find((r) => r.requirement === "pod-to-pod-no-nat")!.summary,
      "6 cross-node pairs, each seen with the caller's own pod IP",
    );
  });

  it("fails only pod-to-pod-no-nat when one cross-node pair is seen through NAT, naming the pair", () => {
    const report = evaluate(fixture("nat-pair"), plan);
    assert.deepEqual(failing(report), ["pod-to-pod-no-nat"]);
    assert.deepEqual(evidenceOf(report, "pod-to-pod-no-nat"), [
      "cp-1 (10.244.0.5) -> worker-1 (10.244.1.7): server saw 192.168.56.10, not 10.244.0.5 (source NAT on the path)",
    ]);
    assert.match(report.requirements[1].summary, /^1 seen through NAT, 0 without answer, of 6 cross-node pairs$/);
  });

  it("fails only nodeport-every-node when the NodePort is silent on the node without a frontend pod", () => {
    const report = evaluate(fixture("nodeport-silent"), plan);
    assert.deepEqual(failing(report), ["nodeport-every-node"]);
    assert.deepEqual(evidenceOf(report, "nodeport-every-node"), [
      "vote/vote:30004 silent on worker-2 (192.168.56.12), asked from cp-1 (curl: (28) Connection timed out after 5001 milliseconds)",
    ]);
  });

  it("fails only service-dns when a Service name does not resolve, naming the Service", () => {
    const report = evaluate(fixture("service-unresolved"), plan);
    assert.deepEqual(failing(report), ["service-dns"]);
    const dnsError = "DNS: lookup db.vote.svc.cluster.local on 10.96.0.10:53: no such host";
    assert.deepEqual(evidenceOf(report, "service-dns"), [
      `vote/db: db.vote.svc.cluster.local did not resolve (${dnsError})`,
      `vote/db: TCP connect to db.vote.svc.cluster.local:5432 failed (${dnsError})`,
    ]);
  });

  it("fails only pod-cidr when a pod IP is outside the pod CIDR, naming the pod and both ranges", () => {
    const report = evaluate(fixture("pod-outside-cidr"), plan);
    assert.deepEqual(failing(report), ["pod-cidr"]);
    assert.deepEqual(evidenceOf(report, "pod-cidr"), [
      "pod-worker-2 on worker-2: 10.245.2.9 is outside the pod CIDR 10.244.0.0/16",
      "pod-worker-2 on worker-2: 10.245.2.9 is outside its node's PodCIDR 10.244.2.0/24",
    ]);
  });

  it("keeps node PodCIDR mismatches as notes when the CNI allocates from its own pool", () => {
    const obs = fixture("all-good");
    obs.probes[1].ip = "10.244.77.3";
    obs.podToPod.filter((p) => p.from === "worker-1").forEach((p) => (p.fromIp = p.clientIp = "10.244.77.3"));
    const report = evaluate(obs, { ...plan, requireNodePodCidr: false });
    assert.equal(report.ok, true);
    assert.deepEqual(evidenceOf(report, "pod-cidr"), [
      "not enforced: pod-worker-1 on worker-1: 10.244.77.3 is outside its node's PodCIDR 10.244.1.0/24",
    ]);
    assert.deepEqual(failing(evaluate(obs, plan)), ["pod-cidr"]);
  });

  it("fails the pod requirements for a node that never registered or whose probe got no IP", () => {
    const obs = fixture("all-good");
    obs.nodes.push({ name: "worker-3", address: "192.168.56.13", podCIDR: "", registered: false });
    const report = evaluate(obs, plan);
    assert.deepEqual(failing(report), ["pod-cidr", "pod-to-pod-no-nat", "node-to-pod", "nodeport-every-node"]);
    assert.ok(
      evidenceOf(report, "pod-to-pod-no-nat").includes(
        "node worker-3 (192.168.56.13) is not registered in the cluster",
      ),
    );
    assert.ok(
      evidenceOf(report, "nodeport-every-node").includes("vote/vote:30004 was not tried on worker-3 (192.168.56.13)"),
    );
  });

  it("fails node-to-pod when a hostNetwork probe cannot reach a pod", () => {
    const obs = fixture("all-good");
    const hop = obs.nodeToPod.find((o) => o.from === "worker-1" && o.to === "cp-1")!;
    Object.assign(hop, { hostname: "", error: "curl: (7) Failed to connect" });
    const report = evaluate(obs, plan);
    assert.deepEqual(failing(report), ["node-to-pod"]);
    assert.deepEqual(evidenceOf(report, "node-to-pod"), [
      "node worker-1 -> pod-cp-1 (10.244.0.5): no answer (curl: (7) Failed to connect)",
    ]);
  });

  it("fails service-ip-in-cidr when the kubernetes Service IP lies outside the service CIDR", () => {
    const report = evaluate(fixture("all-good"), { ...plan, serviceCidr: "10.112.0.0/12" });
    assert.deepEqual(failing(report), ["service-ip-in-cidr"]);
    assert.ok(
      evidenceOf(report, "service-ip-in-cidr").includes(
        "default/kubernetes: ClusterIP 10.96.0.1 is outside the service CIDR 10.112.0.0/12",
      ),
    );
  });

  it("fails service-dns when a name resolves to another address than the Service's ClusterIP", () => {
    const obs = fixture("all-good");
    obs.services[0].resolved = ["10.96.99.99"];
    assert.deepEqual(evidenceOf(evaluate(obs, plan), "service-dns"), [
      "vote/redis: redis.vote.svc.cluster.local resolved to 10.96.99.99, but its ClusterIP is 10.96.10.10",
    ]);
  });
});

describe("clientHost and canonicalIp", () => {
  it("take the host out of netexec's /clientip answer for IPv4, IPv6 and bare addresses", () => {
    assert.equal(clientHost("10.244.1.7:41234"), "10.244.1.7");
    assert.equal(clientHost("[fd00:10:244::7]:41234"), "fd00:10:244::7");
    assert.equal(clientHost("fd00::7"), "fd00::7");
    assert.equal(canonicalIp("fd00:0:0::7"), canonicalIp("fd00::7"));
    assert.equal(canonicalIp("not-an-ip"), undefined);
  });
});

describe("formatReport", () => {
  it("prints a verdict line, one PASS/FAIL line per requirement and the evidence under failures", () => {
    const text = formatReport(evaluate(fixture("nat-pair"), plan));
    const lines = text.split("\n");
    assert.equal(lines[0], "network model: FAILED (5 of 6 requirements hold)");
    assert.match(lines[1], /^ {2}PASS pod-cidr +3 probe pod IPs inside 10\.244\.0\.0\/16/);
    assert.match(lines[2], /^ {2}FAIL pod-to-pod-no-nat +1 seen through NAT/);
    assert.match(lines[3], /^ {7}- cp-1 \(10\.244\.0\.5\) -> worker-1/);
    assert.equal(lines.length, 8);
  });

  it("marks every requirement unproven when the observations cannot be read", () => {
    const report = unreadableReport("network-check.sh did not print a JSON document");
    assert.equal(report.ok, false);
    assert.equal(failing(report).length, 6);
    assert.match(formatReport(report), /FAIL service-dns +not checked/);
  });
});

describe("parseObservations", () => {
  it("names every wrong field with its path", () => {
    const obs = JSON.parse(fs.readFileSync(path.join(FIXTURES, "all-good.json"), "utf8"));
    obs.probes[1].ip = 7;
    delete obs.nodePorts[0].answers[2].httpStatus;
    assert.throws(
      () => parseObservations(JSON.stringify(obs)),
      (e: Error) =>
        e.message.startsWith("network-check.sh printed observations kubelab cannot read (2 problems):") &&
        e.message.includes("  - observations.probes[1].ip: ") &&
        e.message.includes("  - observations.nodePorts[0].answers[2].httpStatus: "),
    );
  });

  it("quotes the start of output that is not JSON", () => {
    assert.throws(
      () => parseObservations("error: You must be logged in to the server (Unauthorized)"),
      /did not print a JSON document .*it printed: error: You must be logged in to the server \(Unauthorized\)$/,
    );
  });
});
