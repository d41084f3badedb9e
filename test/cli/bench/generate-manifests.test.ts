import { test } from "node:test";
import assert from "node:assert/strict";
import { generateManifests, generateManifestsYaml } from "../../../cli/bench/generate-manifests";
import { parseManifests } from "../../../policy/load";
import { checkObjects } from "../../../policy";

test("generateManifests returns exactly the requested count, the same objects every time", () => {
  for (const n of [1, 7, 250]) assert.equal(generateManifests(n).length, n);
  assert.deepEqual(generateManifests(120), generateManifests(120));
  const kinds = new Set(generateManifests(200).map((o) => o.kind));
  assert.deepEqual([...kinds].sort(), ["ConfigMap", "Deployment", "Namespace", "NetworkPolicy", "Service"]);
});

test("generated manifests are clean apart from the deliberate mistakes", () => {
  const objects = generateManifests(300, { mistakeEvery: 0 }).map((object) => ({ object }));
  assert.deepEqual(checkObjects(objects, { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" }), []);
  const withMistakes = checkObjects(generateManifests(300).map((object) => ({ object })));
  assert.deepEqual([...new Set(withMistakes.map((v) => v.rule))].sort(), [
    "hardcoded-ip",
    "image-unpinned",
    "target-port-unresolved",
  ]);
});

test("the YAML text holds the same objects, one document each, without aliases", () => {
  const text = generateManifestsYaml(120);
  assert.doesNotMatch(text, /[&*]a\d/);
  assert.deepEqual(
    parseManifests(text, "g.yaml").objects.map((o) => o.object),
    generateManifests(120),
  );
});
