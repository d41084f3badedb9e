// The network report as a picture: a Mermaid flowchart of nodes (address, PodCIDR, probe pod),
// Services (ClusterIP, NodePort answers per node) and each requirement's result, then a table.
import { NetworkReport, REQUIREMENTS } from "./evaluate";
import { Observations } from "./observations";

/** Mermaid label text: quotes would end the label, angle brackets would become HTML. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

function lines(...parts: string[]): string {
  return parts.map(label).join("<br/>");
}

function nodeBoxes(obs: Observations, ids: Map<string, string>): string[] {
  const out = ["  subgraph lab[Nodes]", "    direction LR"];
  obs.nodes.forEach((node) => {
    const probe = obs.probes.find((p) => p.node === node.name);
    const facts = [
      node.name,
      node.address || "no address",
      `PodCIDR ${node.podCIDR || "none"}`,
      node.registered ? `probe pod ${probe?.ip || "no IP"}` : "not registered",
    ];
    out.push(`    ${ids.get(node.name)}["${lines(...facts)}"]`);
  });
  out.push("  end");
  return out;
}

function serviceShapes(obs: Observations, ids: Map<string, string>): { shapes: string[]; failing: string[] } {
  const shapes = [`  kube(["${lines("default/kubernetes", `ClusterIP ${obs.kubernetesServiceIp || "unknown"}`)}"])`];
  const failing: string[] = [];
  obs.services.forEach((svc, i) => {
    const ok = svc.resolved.length > 0 && svc.connected;
    shapes.push(
      `  s${i}(["${lines(`${svc.namespace}/${svc.name}`, `ClusterIP ${svc.clusterIp || "unknown"}:${svc.port}`, ok ? "resolves, connects" : "DNS or connect failed")}"])`,
    );
    if (!ok) failing.push(`s${i}`);
  });
  obs.nodePorts.forEach((np, i) => {
    shapes.push(
      `  np${i}{{"${lines(`${np.namespace}/${np.name}`, `NodePort ${np.nodePort}`, `ClusterIP ${np.clusterIp || "unknown"}`)}"}}`,
    );
    for (const node of obs.nodes) {
      const answer = np.answers.find((a) => a.node === node.name);
      const status = answer?.httpStatus ?? 0;
      const target = ids.get(node.name);
      shapes.push(status >= 100 ? `  np${i} -->|${status}| ${target}` : `  np${i} -.->|silent| ${target}`);
      if (status < 100 && !failing.includes(`np${i}`)) failing.push(`np${i}`);
    }
  });
  return { shapes, failing };
}

/** Cross-node pod pairs that broke the model, drawn between their nodes; healthy pairs are implied. */
function brokenPairs(obs: Observations, report: NetworkReport, ids: Map<string, string>): string[] {
  const p2p = report.requirements.find((r) => r.requirement === "pod-to-pod-no-nat");
  if (!p2p || p2p.ok) return [];
  return obs.podToPod
    .filter((pair) => p2p.evidence.some((e) => e.startsWith(`${pair.from} (`) && e.includes(`-> ${pair.to} (`)))
    .map((pair) => `  ${ids.get(pair.from)} -. ${pair.clientIp ? "NAT" : "no answer"} .-> ${ids.get(pair.to)}`);
}

function requirementBoxes(report: NetworkReport): { boxes: string[]; pass: string[]; fail: string[] } {
  const boxes = ["  subgraph checks[Requirements]", "    direction TB"];
  const pass: string[] = [];
  const fail: string[] = [];
  report.requirements.forEach((r, i) => {
    boxes.push(`    r${i}["${lines(`${r.ok ? "PASS" : "FAIL"} ${r.requirement}`)}"]`);
    (r.ok ? pass : fail).push(`r${i}`);
  });
  boxes.push("  end");
  return { boxes, pass, fail };
}

function diagram(obs: Observations, report: NetworkReport): string[] {
  const ids = new Map(obs.nodes.map((n, i) => [n.name, `n${i}`]));
  const services = serviceShapes(obs, ids);
  const checks = requirementBoxes(report);
  const failingNodes = obs.nodes.filter((n) => !n.registered || !obs.probes.some((p) => p.node === n.name && p.ip));
  const failClass = [...checks.fail, ...services.failing, ...failingNodes.map((n) => ids.get(n.name)!)];
  return [
    "```mermaid",
    "flowchart LR",
    ...nodeBoxes(obs, ids),
    ...services.shapes,
    ...brokenPairs(obs, report, ids),
    ...checks.boxes,
    "  classDef pass fill:#d4edda,stroke:#1e7e34,color:#000",
    "  classDef fail fill:#f8d7da,stroke:#bd2130,color:#000",
    ...(checks.pass.length ? [`  class ${checks.pass.join(",")} pass`] : []),
    ...(failClass.length ? [`  class ${failClass.join(",")} fail`] : []),
    "```",
  ];
}

function table(report: NetworkReport): string[] {
  const rules = new Map(REQUIREMENTS.map((r) => [r.id, r.rule]));
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const out = ["| requirement | rule | result | summary |", "|---|---|---|---|"];
  for (const r of report.requirements)
    out.push(
      `| \`${r.requirement}\` | ${cell(rules.get(r.requirement) ?? "")} | ${r.ok ? "PASS" : "**FAIL**"} | ${cell(r.summary)} |`,
    );
  const withEvidence = report.requirements.filter((r) => r.evidence.length > 0);
  if (withEvidence.length > 0) out.push("", "## Evidence");
  for (const r of withEvidence) out.push("", `### ${r.requirement}`, "", ...r.evidence.map((e) => `- ${e}`));
  return out;
}

/** A markdown page (topology.md) showing the cluster as the network check saw it. */
export function topologyMarkdown(obs: Observations, report: NetworkReport): string {
  const holding = report.requirements.filter((r) => r.ok).length;
  return [
    "# kubelab network topology",
    "",
    `Network model: **${report.ok ? "OK" : "FAILED"}** (${holding} of ${report.requirements.length} requirements hold).`,
    `Observed by agnhost probes (\`${obs.probeImage}\`) in namespace \`${obs.namespace}\`;`,
    "broken pod-to-pod pairs are drawn between their nodes, healthy ones are not.",
    "",
    ...diagram(obs, report),
    "",
    ...table(report),
    "",
  ].join("\n");
}
