import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { evaluate } from "../../../components/verify/evaluate";
import { Observations, parseObservations } from "../../../components/verify/observations";
import { topologyMarkdown } from "../../../components/verify/topology";

const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "verify");
const plan = { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };

function fixture(name: string): Observations {
  return parseObservations(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
}

function mermaid(markdown: string): string[] {
  const start = markdown.indexOf("```mermaid\n");
  const end = markdown.indexOf("\n```", start + 1);
  assert.ok(start >= 0 && end > start, "topology.md has a mermaid block");
  return markdown.slice(start, end).split("\n").slice(1);
}

describe("topologyMarkdown", () => {
  it("draws every node with its address, PodCIDR and probe pod IP", () => {
    const obs = fixture("all-good");
    const chart = mermaid(topologyMarkdown(obs, evaluate(obs, plan)));
    assert.equal(chart[0], "flowchart LR");
    assert.ok(chart.includes('    n0["cp-1<br/>192.168.56.10<br/>PodCIDR 10.244.0.0/24<br/>probe pod 10.244.0.5"]'));
    assert.ok(
      chart.includes('    n2["worker-2<br/>192.168.56.12<br/>PodCIDR 10.244.2.0/24<br/>probe pod 10.244.2.9"]'),
    );
  });

  it("draws Services with their ClusterIP and each NodePort's answer on every node", () => {
    const obs = fixture("nodeport-silent");
    const chart = mermaid(topologyMarkdown(obs, evaluate(obs, plan)));
    assert.ok(chart.includes('  kube(["default/kubernetes<br/>ClusterIP 10.96.0.1"])'));
    assert.ok(chart.includes('  s0(["vote/redis<br/>ClusterIP 10.96.10.10:6379<br/>resolves, connects"])'));
    assert.ok(chart.includes('  np0{{"vote/vote<br/>NodePort 30004<br/>ClusterIP 10.96.20.20"}}'));
    assert.deepEqual(
      chart.filter((l) => l.startsWith("  np0 -")),
      ["  np0 -->|200| n0", "  np0 -->|200| n1", "  np0 -.->|silent| n2"],
    );
    assert.ok(chart.includes("  class r4,np0 fail"));
  });

  it("shows each requirement's result in the chart and in a table, with evidence for failures", () => {
    const obs = fixture("nat-pair");
    const markdown = topologyMarkdown(obs, evaluate(obs, plan));
    const chart = mermaid(markdown);
    assert.ok(chart.includes('    r1["FAIL pod-to-pod-no-nat"]'));
    assert.ok(chart.includes("  class r0,r2,r3,r4,r5 pass"));
    assert.ok(chart.includes("  n0 -. NAT .-> n1"), "the NATed pair is drawn between its nodes");
    assert.equal(chart.filter((l) => l.includes(" .-> n")).length, 1, "healthy pairs are not drawn");
    assert.match(markdown, /Network model: \*\*FAILED\*\* \(5 of 6 requirements hold\)/);
    assert.match(markdown, /\| `pod-to-pod-no-nat` \| .* \| \*\*FAIL\*\* \| 1 seen through NAT/);
    assert.match(
      markdown,
      /### pod-to-pod-no-nat\n\n- cp-1 \(10\.244\.0\.5\) -> worker-1 \(10\.244\.1\.7\): server saw 192\.168\.56\.10/,
    );
  });

  it("keeps quotes and angle brackets from breaking Mermaid labels", () => {
    const obs = fixture("all-good");
    obs.services[0].name = 'red"is<x>';
    const chart = mermaid(topologyMarkdown(obs, evaluate(obs, plan)));
    assert.ok(chart.some((l) => l.includes("vote/red#quot;is#lt;x#gt;<br/>")));
  });

  it("marks a node that never registered", () => {
    const obs = fixture("all-good");
    obs.nodes.push({ name: "worker-3", address: "192.168.56.13", podCIDR: "", registered: false });
    const chart = mermaid(topologyMarkdown(obs, evaluate(obs, plan)));
    assert.ok(chart.includes('    n3["worker-3<br/>192.168.56.13<br/>PodCIDR none<br/>not registered"]'));
    assert.ok(chart.some((l) => /^ {2}class .*\bn3\b.* fail$/.test(l)));
  });
});
