import { test } from "node:test";
import assert from "node:assert/strict";
import { parseManifests } from "../../policy/load";

test("multi-document YAML yields every object with its file; non-manifest documents are skipped", () => {
  const parsed = parseManifests(
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\nreplicas: 3\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
    "m.yaml",
  );
  assert.deepEqual(
    parsed.objects.map((o) => `${o.file} ${o.object.kind} ${o.object.metadata?.name}`),
    ["m.yaml Service a", "m.yaml ConfigMap b"],
  );
  assert.equal(parsed.skipped, 1);
  assert.deepEqual(parsed.errors, []);
});

test("List kinds are expanded, typed lists lend their kind to the items", () => {
  const list = parseManifests(
    "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, metadata: {name: a}}\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: b}}\n",
    "l.yaml",
  );
  assert.deepEqual(
    list.objects.map((o) => `${o.object.apiVersion} ${o.object.kind} ${o.object.metadata?.name}`),
    ["v1 Service a", "apps/v1 Deployment b"],
  );
  const typed = parseManifests(
    JSON.stringify({ apiVersion: "apps/v1", kind: "DeploymentList", items: [{ metadata: { name: "c" } }] }),
    "t.json",
  );
  assert.deepEqual(typed.objects[0].object, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "c" } });
});

test("a YAML syntax error is reported with its line; the file's other documents are kept", () => {
  const parsed = parseManifests(
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: [broken\nspec: {}\n",
    "bad.yaml",
  );
  assert.deepEqual(
    parsed.objects.map((o) => o.object.metadata?.name),
    ["ok"],
  );
  assert.equal(parsed.errors.length >= 1, true);
  assert.equal(parsed.errors[0].file, "bad.yaml");
  assert.equal(parsed.errors[0].line, 8);
  assert.match(parsed.errors[0].message, /^invalid YAML: /);
  assert.doesNotMatch(parsed.errors[0].message, /at line/);
});

test("a JSON syntax error is reported with its line", () => {
  const parsed = parseManifests(
    '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "a"\n}\n',
    "bad.json",
  );
  assert.equal(parsed.objects.length, 0);
  assert.equal(parsed.errors.length, 1);
  assert.equal(parsed.errors[0].file, "bad.json");
  assert.ok(parsed.errors[0].line >= 4, `line ${parsed.errors[0].line}`);
  assert.match(parsed.errors[0].message, /^invalid JSON: /);
});
