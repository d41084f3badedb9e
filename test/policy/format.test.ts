import { test } from "node:test";
import assert from "node:assert/strict";
import { PolicyError, Violation, assertNoPolicyErrors, formatJson, formatText, hasErrors } from "../../policy";
import { obj } from "./fixtures";

const error: Violation = {
  rule: "nodeport-range",
  severity: "error",
  resource: "Service/vote/vote",
  file: "app.yaml",
  message: "nodePort 8080 is outside",
};
const warning: Violation = {
  rule: "image-unpinned",
  severity: "warning",
  resource: "Deployment/vote/vote",
  file: "app.yaml",
  message: "untagged",
};
const planError: Violation = {
  rule: "cidr-overlap",
  severity: "error",
  resource: "NetworkPlan/kubelab/podCidr",
  message: "overlaps",
};

test("formatJson prints exactly the DESIGN §4 shape, file null when unknown", () => {
  assert.deepEqual(JSON.parse(formatJson([error, planError])), {
    violations: [
      {
        rule: "cidr-overlap",
        severity: "error",
        resource: "NetworkPlan/kubelab/podCidr",
        file: null,
        message: "overlaps",
      },
      {
        rule: "nodeport-range",
        severity: "error",
        resource: "Service/vote/vote",
        file: "app.yaml",
        message: "nodePort 8080 is outside",
      },
    ],
  });
  const withErrors = JSON.parse(formatJson([], [{ file: "bad.yaml", line: 3, message: "invalid YAML" }]));
  assert.deepEqual(withErrors, { violations: [], errors: [{ file: "bad.yaml", line: 3, message: "invalid YAML" }] });
});

test("formatText groups by file, plan findings first, parse errors in their file's group", () => {
  const text = formatText([warning, error, planError], [{ file: "broken.yaml", line: 2, message: "invalid YAML: x" }]);
  assert.equal(
    text,
    [
      "(network plan and in-program objects)",
      "  error    [cidr-overlap] NetworkPlan/kubelab/podCidr: overlaps",
      "",
      "app.yaml",
      "  warning  [image-unpinned] Deployment/vote/vote: untagged",
      "  error    [nodeport-range] Service/vote/vote: nodePort 8080 is outside",
      "",
      "broken.yaml",
      "  error    [parse-error] line 2: invalid YAML: x",
      "",
      "2 errors, 1 warning, 1 parse error",
      "",
    ].join("\n"),
  );
  assert.equal(formatText([]), "no violations\n");
});

test("hasErrors ignores warnings", () => {
  assert.equal(hasErrors([warning]), false);
  assert.equal(hasErrors([warning, error]), true);
});

test("PolicyError lists every error, one per line as [rule] resource: message", () => {
  const e = new PolicyError([warning, error, planError]);
  assert.equal(e.name, "PolicyError");
  assert.deepEqual(e.message.split("\n"), [
    "kubelab policy check failed (2 errors):",
    "  - [cidr-overlap] NetworkPlan/kubelab/podCidr: overlaps",
    "  - [nodeport-range] Service/vote/vote: nodePort 8080 is outside",
  ]);
  assert.deepEqual(e.violations, [planError, error]);
});

test("assertNoPolicyErrors throws on errors and returns the warnings otherwise", () => {
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "vote" } };
  assert.throws(
    () => assertNoPolicyErrors([obj({ ...svc, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } })]),
    (e: unknown) =>
      e instanceof PolicyError && /\[service-no-endpoints\] Service\/vote\/web: selector app=web/.test(e.message),
  );
  assert.throws(() => assertNoPolicyErrors([], { podCidr: "10.0.0.0/16", serviceCidr: "10.0.0.0/12" }), PolicyError);
  const warnings = assertNoPolicyErrors([obj({ ...svc, spec: { ports: [{ port: 80 }] } })]);
  assert.deepEqual(
    warnings.map((v) => `${v.severity} ${v.rule}`),
    ["warning service-no-endpoints"],
  );
});
