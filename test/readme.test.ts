// The README's promises: the two first-screen commands, and the rule table matching the rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
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
  for (const [, name] of readme.matchAll(/`npm run ([a-z0-9:-]+)/g)) assert.ok(scripts[name], name);
});

test("npm test checks for shellcheck and bats first, and says how to install them", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).scripts;
  assert.match(scripts.test, /^bash test\/scripts\/require-tools\.sh && /);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-tools-"));
  try {
    for (const tool of ["bash", "sed", "sort", "head"]) {
      const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      fs.symlinkSync(found, path.join(bin, tool));
    }
    const check = () =>
      spawnSync(path.join(bin, "bash"), [path.join(__dirname, "scripts", "require-tools.sh")], {
        env: { PATH: bin },
        encoding: "utf8",
      });
    const none = check();
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^npm test needs: shellcheck bats\./);
    assert.match(none.stderr, /sudo apt-get install shellcheck bats/);
    assert.match(none.stderr, /brew install shellcheck bats-core/);
    fs.writeFileSync(path.join(bin, "shellcheck"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "bats"), "#!/bin/sh\necho 'Bats 1.2.1'\n", { mode: 0o755 });
    const old = check();
    assert.equal(old.status, 1);
    assert.match(old.stderr, /^npm test needs: bats 1\.5 or newer \(found 1\.2\.1\)\./);
    fs.writeFileSync(path.join(bin, "bats"), "#!/bin/sh\necho 'Bats 1.10.0'\n", { mode: 0o755 });
    const ready = check();
    assert.equal(ready.status, 0, ready.stderr);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test("modelled figures say they are modelled", () => {
  const performance = readme.slice(readme.indexOf("## Performance"));
  assert.match(performance, /\| modelled time to ready \(min\) \|/);
  assert.doesNotMatch(performance, /\| time to ready \(min\) \|/);
  assert.match(performance, /is ready in about\s+\*\*[\d.]+ minutes\*\* by that model/);
});

test("the README says why the first up changes the tracked stack file", () => {
  assert.match(readme, /adds an `encryptionsalt: v1:\.\.\.` line/);
  assert.match(readme, /stacks\/Pulumi\.<stack>\.yaml/);
});
