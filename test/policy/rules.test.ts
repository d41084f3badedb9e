import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { OBJECT_RULES, RULES, checkObjects } from "../../policy";
import { planRules } from "../../policy/plan-rules";
import { FIXTURES, loadFixture } from "./fixtures";

const DESIGN_RULES = [
  "cidr-overlap",
  "cni-cidr-mismatch",
  "pod-cidr-capacity",
  "service-cidr-size",
  "nodeport-range",
  "nodeport-duplicate",
  "service-no-endpoints",
  "target-port-unresolved",
  "multiport-unnamed",
  "service-port-missing",
  "api-version",
  "deployment-selector-mismatch",
  "backend-exposed",
  "hardcoded-ip",
  "networkpolicy-unenforced",
  "vip-outside-node-cidr",
  "vip-overlap",
  "offline-image-missing",
  "image-unpinned",
  "missing-probes",
  "probe-port-unresolved",
  "missing-resources",
  "runs-as-root",
  "privilege-escalation",
  "default-namespace",
  "namespace-pss-missing",
];

test("RULES lists exactly the rules of DESIGN §5, each with a summary and what it protects", () => {
  assert.deepEqual(
    RULES.map((r) => r.name),
    DESIGN_RULES,
  );
  for (const r of RULES) {
    assert.ok(r.summary.length > 10 && r.protects.length > 10, r.name);
  }
  const warnings = RULES.filter((r) => r.severity === "warning").map((r) => r.name);
  assert.deepEqual(warnings, DESIGN_RULES.slice(DESIGN_RULES.indexOf("image-unpinned")));
});

test("every rule is implemented either over objects or over the plan", () => {
  const objectRules = Object.keys(OBJECT_RULES);
  assert.equal(objectRules.length + planRules.length, DESIGN_RULES.length);
  for (const name of objectRules) assert.ok(DESIGN_RULES.includes(name), name);
});

for (const rule of DESIGN_RULES) {
  test(`${rule}: the violating fixture is flagged on exactly the expected resources`, () => {
    const fixture = loadFixture(path.join("rules", rule, "bad.yaml"));
    assert.ok(fixture.expect.length > 0, "the fixture names what it expects");
    const flagged = checkObjects(fixture.objects, fixture.plan).filter((v) => v.rule === rule);
    assert.deepEqual([...new Set(flagged.map((v) => v.resource))].sort(), [...fixture.expect].sort());
    const severity = RULES.find((r) => r.name === rule)?.severity;
    for (const v of flagged) {
      assert.equal(v.file, v.resource.startsWith("NetworkPlan/") ? undefined : path.join("rules", rule, "bad.yaml"));
      if (severity === "warning") assert.equal(v.severity, "warning", v.message);
    }
  });

  test(`${rule}: the passing fixture is not flagged`, () => {
    const fixture = loadFixture(path.join("rules", rule, "good.yaml"));
    const flagged = checkObjects(fixture.objects, fixture.plan).filter((v) => v.rule === rule);
    assert.deepEqual(flagged, []);
  });
}

test("the clean two-tier app passes every rule", () => {
  const fixture = loadFixture("clean-app.yaml");
  assert.ok(fixture.plan);
  assert.deepEqual(checkObjects(fixture.objects, fixture.plan), []);
});

test("every rule folder holds exactly a bad and a good fixture", () => {
  const folders = fs.readdirSync(path.join(FIXTURES, "rules")).sort();
  assert.deepEqual(folders, [...DESIGN_RULES].sort());
  for (const folder of folders) {
    assert.deepEqual(fs.readdirSync(path.join(FIXTURES, "rules", folder)).sort(), ["bad.yaml", "good.yaml"]);
  }
});

test("policy/RULES.md has one table row per rule, matching RULES", () => {
  const markdown = fs.readFileSync(path.join(__dirname, "..", "..", "policy", "RULES.md"), "utf8");
  const rows = markdown.split("\n").filter((line) => line.startsWith("| `"));
  assert.deepEqual(
    rows,
    RULES.map((r) => `| \`${r.name}\` | ${r.severity} | ${r.summary} | ${r.protects} |`),
  );
});
