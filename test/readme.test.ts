// The README's promises: the two first-screen commands, and the rule table matching the rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { RULES } from "../policy";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

test("the first screen shows npm run up and npm test", () => {
  const firstScreen = readme.split("\n").slice(0, 24).join("\n");
  assert.match(firstScreen, /^npm run up\b/m);
  assert.match(firstScreen, /^npm test\b/m);
});

test("the README's rule table has a row for every policy rule", () => {
  for (const rule of RULES)
    assert.match(readme, new RegExp(`^\\| \`${rule.name}\` \\| ${rule.severity} \\|`, "m"), rule.name);
});

test("every npm script the README documents exists", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).scripts;
  for (const [, name] of readme.matchAll(/`npm run ([a-z:]+)/g)) assert.ok(scripts[name], name);
});
