// `kubelab check --format sarif`: a log valid against the SARIF 2.1.0 schema, whose results point at
// the rule, the file and the line where each object's document starts.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import type { Log } from "sarif";
import { RULES } from "../../policy";
import { formatSarif } from "../../cli/sarif";
import { kubelab } from "./kubelab-run";

// The schema the OASIS committee published with SARIF 2.1.0, shipped in an npm package (draft-04).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SCHEMA = require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const DRAFT_04 = require("ajv/lib/refs/json-schema-draft-04.json");

function schemaErrors(log: unknown): string | undefined {
  const ajv = new Ajv({ schemaId: "id", allErrors: true, logger: false });
  ajv.addMetaSchema(DRAFT_04);
  return ajv.validate(SCHEMA, log) ? undefined : JSON.stringify(ajv.errors, null, 2);
}

function validate(log: unknown): void {
  assert.equal(schemaErrors(log), undefined);
}

test("the schema check refuses what SARIF 2.1.0 does not allow", () => {
  const result = { ruleId: "x", level: "fatal", message: { text: "m" } };
  assert.match(
    schemaErrors({ version: "2.1.0", runs: [{ tool: { driver: { name: "t" } }, results: [result] }] }) ?? "",
    /level/,
  );
  assert.match(schemaErrors({ version: "2.0.0", runs: [] }) ?? "", /version/);
});

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: vote, namespace: vote}
spec: {type: NodePort, selector: {app: vote}, ports: [{port: 80, nodePort: 8080}]}
`;
const NAMESPACE = "# the app's namespace\n\napiVersion: v1\nkind: Namespace\nmetadata: {name: vote}\n";

test("the log of a run with findings and a broken file is valid SARIF 2.1.0", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-sarif-"));
  temps.push(dir);
  fs.mkdirSync(path.join(dir, "k8s dir"));
  fs.writeFileSync(path.join(dir, "k8s dir", "app.yaml"), `${NAMESPACE}---\n${SERVICE}`);
  fs.writeFileSync(path.join(dir, "broken.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n");
  const run = kubelab(["check", ".", "--format", "sarif"], { cwd: dir });
  assert.equal(run.code, 1, run.stderr);
  const log = JSON.parse(run.stdout) as Log;
  validate(log);

  const [only] = log.runs;
  assert.equal(log.runs.length, 1);
  assert.equal(only.tool.driver.name, "kubelab");
  const rules = only.tool.driver.rules ?? [];
  assert.deepEqual(
    rules.map((r) => r.id),
    [...RULES.map((r) => r.name), "parse-error"],
  );
  assert.equal(only.originalUriBaseIds?.["%SRCROOT%"].uri, `${new URL(`file://${dir}/`).href}`);
  const results = only.results ?? [];
  for (const r of results) assert.equal(rules[r.ruleIndex as number].id, r.ruleId);

  const parse = results.find((r) => r.ruleId === "parse-error");
  assert.equal(parse?.level, "error");
  assert.deepEqual(parse?.locations?.[0].physicalLocation?.artifactLocation, {
    uri: "broken.yaml",
    uriBaseId: "%SRCROOT%",
  });
  const nodePort = results.find((r) => r.ruleId === "nodeport-range");
  assert.equal(nodePort?.level, "error");
  assert.deepEqual(nodePort?.locations?.[0].physicalLocation, {
    artifactLocation: { uri: "k8s%20dir/app.yaml", uriBaseId: "%SRCROOT%" },
    region: { startLine: 7 },
  });
  assert.equal(nodePort?.locations?.[0].logicalLocations?.[0].fullyQualifiedName, "Service/vote/vote");
  const pss = results.find((r) => r.ruleId === "namespace-pss-missing");
  assert.equal(pss?.level, "warning");
  assert.equal(pss?.locations?.[0].physicalLocation?.region?.startLine, 3);
});

test("findings without a file (the network plan's) name the object only; absolute paths are file URIs", () => {
  const text = formatSarif({
    violations: [
      { rule: "cidr-overlap", severity: "error", resource: "NetworkPlan/kubelab/podCidr", message: "overlaps" },
      { rule: "image-unpinned", severity: "warning", resource: "Pod/a/b", file: "/abs/p.yaml", message: "latest" },
    ],
    errors: [],
    objects: [
      {
        object: { apiVersion: "v1", kind: "Pod", metadata: { name: "b", namespace: "a" } },
        file: "/abs/p.yaml",
        line: 4,
      },
    ],
    cwd: "/work",
    version: "1.2.3",
  });
  const log = JSON.parse(text) as Log;
  validate(log);
  const [plan, pod] = log.runs[0].results ?? [];
  assert.equal(plan.locations?.[0].physicalLocation, undefined);
  assert.equal(plan.locations?.[0].logicalLocations?.[0].fullyQualifiedName, "NetworkPlan/kubelab/podCidr");
  assert.deepEqual(pod.locations?.[0].physicalLocation, {
    artifactLocation: { uri: "file:///abs/p.yaml" },
    region: { startLine: 4 },
  });
  assert.equal(log.runs[0].tool.driver.version, "1.2.3");
});
