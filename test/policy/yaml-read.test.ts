// The fast reader (js-yaml) and the exact one (`yaml`) must agree: values and document lines alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import YAML from "yaml";
import { exactDocuments, lineIndex, readDocuments } from "../../policy/yaml-read";

/** Both readers give the same values, lines and errors. */
function agree(text: string): void {
  assert.deepEqual(readDocuments(text, "f.yaml"), exactDocuments(text, "f.yaml"), text);
}

test("lineIndex maps offsets to 1-based lines", () => {
  const lineAt = lineIndex("a\nbc\n\nd");
  assert.deepEqual([0, 1, 2, 4, 5, 6, 7].map(lineAt), [1, 1, 2, 2, 3, 4, 4]);
});

test("documents start on their first content line, after markers, comments and directives", () => {
  agree("# leading comment\n\napiVersion: v1\nkind: A\n---\n# about B\n\nkind: B\n---\n---\nkind: C\n");
  agree("%YAML 1.2\n---\nkind: A\n...\n---\nkind: B\n");
  agree("--- |\n  text\n--- {kind: A}\n---   # comment\nkind: B\n");
  agree("kind: A\n...\n# trailing\n");
  agree("kind: A\r\n---\r\nkind: B\r\n");
  assert.deepEqual(readDocuments("---\nkind: A\n---\n\n\nkind: B\n", "f.yaml").lines, [2, 6]);
});

test("scalars resolve as YAML 1.2's core schema does (yaml's reading), not js-yaml's extensions", () => {
  agree("ints: [014, 0o14, 0x1F, 0b101, -0x1F, +0o7, 1_000, +12]\nbools: [yes, no, on, True, tRue]\n");
  agree("nulls: [~, Null, null, '']\nfloats: [1e3, .5, 1., -.Inf, .NaN]\ndate: 2024-01-01\ntime: 12:30\n");
});

test("any JSON-shaped documents read the same with both readers", () => {
  const doc = fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  const style = fc.record({
    flow: fc.boolean(),
    comment: fc.boolean(),
    blank: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(fc.tuple(doc, style), { minLength: 1, maxLength: 4 }), (docs) => {
      const text = docs
        .map(([value, s]) => {
          const body = YAML.stringify(value, { collectionStyle: s.flow ? "flow" : "any" });
          return `${s.comment ? "# a comment\n" : ""}${s.blank ? "\n" : ""}${body}`;
        })
        .join("---\n");
      agree(text);
    }),
    { numRuns: 400 },
  );
});

test("documents with anchors, duplicate keys, unknown tags or syntax errors read as yaml reads them", () => {
  const ok = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n";
  for (const doc of [
    "a: &x {b: 1}\nc: *x\n",
    "metadata: {labels: &l {app: web}}\nspec: {selector: {matchLabels: *l}, template: {metadata: {labels: *l}}}\n",
    "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n",
    "command: [sh, -c, 'a && b']\n",
    "&a {kind: List, items: [*a]}\n",
    "a: 1\na: 2\n",
    "a: !custom x\n",
    "a: !!binary aGk=\n",
    "kind: A\nmetadata: {name: [oops\n",
    "a: *undefined\n",
  ])
    agree(`${ok}---\n${doc}---\n${ok}`);
});

test("aliases that multiply a document or make it contain itself are refused, as yaml refuses them", () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 8; i++) {
    const prev = String.fromCharCode(96 + i);
    levels.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(", ")}]`,
    );
  }
  for (const doc of [`${levels.join("\n")}\n`, "&a {kind: List, items: [*a]}\n"]) {
    const read = readDocuments(`kind: A\n---\n${doc}`, "f.yaml");
    assert.equal(read.values.length, 1, doc);
    assert.equal(read.errors.length, 1, doc);
    agree(`kind: A\n---\n${doc}`);
  }
});
