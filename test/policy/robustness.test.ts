// Property-based: whatever text reaches `npm run check`, the loader and the rules end in a report —
// parse errors and violations — and never in an exception.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import YAML from "yaml";
import { RULES, checkObjects } from "../../policy";
import { parseManifests } from "../../policy/load";
import { NetworkPlan } from "../../policy/types";
import { FIXTURES } from "./fixtures";

const PLAN: NetworkPlan = {
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  nodeCidr: "192.168.64.0/24",
  cni: "calico",
  nodeCount: 3,
};
const RULE_NAMES = new Set(RULES.map((r) => r.name));

function fixtureFiles(dir = FIXTURES): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? fixtureFiles(full) : [full];
  });
}

/** Every document of every policy fixture: real manifests to mutate. */
const FIXTURE_DOCS: unknown[] = fixtureFiles().flatMap((file) =>
  YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((doc) => doc.toJS()),
);

/** The input reached the end: a well-formed report. */
function assertReport(text: string, file: string): void {
  const parsed = parseManifests(text, file);
  for (const e of parsed.errors) {
    assert.equal(e.file, file);
    assert.ok(Number.isInteger(e.line) && e.line >= 1, `line ${e.line}`);
    assert.equal(typeof e.message, "string");
  }
  for (const v of checkObjects(parsed.objects, PLAN)) {
    assert.ok(RULE_NAMES.has(v.rule), v.rule);
    assert.ok(v.severity === "error" || v.severity === "warning");
    assert.equal(typeof v.message, "string");
  }
}

/** Replaces the value at a pseudo-random path (indices pick keys) with `replacement`. */
function mutate(value: unknown, picks: number[], replacement: unknown): unknown {
  if (picks.length === 0 || value === null || typeof value !== "object") return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[picks[0] % keys.length];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  copy[key] = mutate((value as Record<string, unknown>)[key], picks.slice(1), replacement);
  return copy;
}

/** Values of every shape a field can wrongly hold, and some right ones. */
const fieldValue = fc.oneof(
  fc.constantFrom("x", 5, -1, 0, 65536, 1.5, true, null, [], {}, ["x"], [5], [{}], { a: 5 }, "30004", "http"),
  fc.anything({ maxDepth: 2 }),
);

const yamlTokens = fc.array(
  fc.constantFrom(
    "&a ",
    "*a",
    "&b ",
    "*b",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "  ",
    "---\n",
    "apiVersion: v1\n",
    "kind: Service\n",
    "kind: List\nitems: ",
    "spec: ",
    "selector: ",
    "ports: ",
    "!!str ",
    "? ",
    "|\n",
    "'",
    '"',
    "#",
    "%YAML 1.2\n",
  ),
  { maxLength: 40 },
);

test("random bytes and random text never make the loader or the rules throw", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("utf8")),
        fc.string({ unit: "binary", maxLength: 300 }),
      ),
      fc.constantFrom("m.yaml", "m.json"),
      (text, file) => assertReport(text, file),
    ),
    { numRuns: 1500 },
  );
});

test("random YAML (anchors and aliases included) never makes the loader or the rules throw", () => {
  fc.assert(
    fc.property(yamlTokens, (tokens) => assertReport(tokens.join(""), "m.yaml")),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.anything({ maxDepth: 4 }), (value) => assertReport(YAML.stringify(value) ?? "", "m.yaml")),
    { numRuns: 500 },
  );
});

test("mutated fixtures (any field of any shape) never make the loader or the rules throw", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...FIXTURE_DOCS),
      fc.array(fc.array(fc.nat(), { maxLength: 7 }), { minLength: 1, maxLength: 3 }),
      fc.array(fieldValue, { minLength: 3, maxLength: 3 }),
      fc.constantFrom("m.yaml", "m.json"),
      (doc, paths, values, file) => {
        const mutated = paths.reduce((d, picks, i) => mutate(d, picks, values[i]), doc);
        assertReport(file.endsWith(".json") ? JSON.stringify(mutated) : YAML.stringify(mutated), file);
      },
    ),
    { numRuns: 1500 },
  );
});

test("an alias bomb becomes a parse error of its document, and the file's other documents are kept", () => {
  const levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 9; i++)
    levels.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join("\n")}\n`;
  const parsed = parseManifests(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n${bomb}`, "b.yaml");
  assert.deepEqual(
    parsed.objects.map((o) => o.object.metadata?.name),
    ["ok"],
  );
  assert.equal(parsed.errors.length, 1);
  assert.equal(parsed.errors[0].line, 5);
  assert.match(parsed.errors[0].message, /^invalid YAML: .*alias/i);
});

test("an alias inside the node it names (a cycle) is a parse error, not an endless object", () => {
  const parsed = parseManifests("&a {apiVersion: v1, kind: List, items: [*a]}\n", "c.yaml");
  assert.deepEqual(parsed.objects, []);
  assert.match(parsed.errors[0].message, /alias refers to a node that contains it/);
});
