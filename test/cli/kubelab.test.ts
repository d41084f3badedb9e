// The compiled `kubelab` command: its subcommands, help, version, and what `check` loads.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMANDS } from "../../cli/kubelab";
import { KUBELAB, ROOT, kubelab } from "./kubelab-run";

const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const CLEAN_APP = path.join(ROOT, "test", "fixtures", "policy", "clean-app.yaml");

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

test("package.json's bin is the compiled entry point, and the npm scripts call it", () => {
  assert.equal(path.join(ROOT, PACKAGE.bin.kubelab), KUBELAB);
  assert.match(fs.readFileSync(KUBELAB, "utf8"), /^#!\/usr\/bin\/env node\n/);
  // npx runs the bin as a program: the build leaves it executable.
  assert.equal(fs.statSync(KUBELAB).mode & 0o111, 0o111);
  for (const name of ["check", "render", "verify", "bench"])
    assert.equal(PACKAGE.scripts[name], `node dist/cli/kubelab.js ${name}`);
  assert.match(PACKAGE.scripts.prepare, /npm run build/);
});

test("--version prints package.json's version", () => {
  const run = kubelab(["--version"]);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, `${PACKAGE.version}\n`);
});

test("--help lists every subcommand; no subcommand or an unknown one is a usage error (exit 2)", () => {
  const help = kubelab(["--help"]);
  assert.equal(help.code, 0);
  assert.deepEqual(Object.keys(COMMANDS), ["check", "render", "verify", "bench", "up", "destroy"]);
  for (const name of Object.keys(COMMANDS)) assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
  const none = kubelab([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: kubelab <command>/);
  const unknown = kubelab(["lint"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'lint'/);
});

test("every subcommand has its own --help, exit 0", () => {
  for (const name of Object.keys(COMMANDS)) {
    const run = kubelab([name, "--help"]);
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^Usage: kubelab ${name} `), name);
  }
});

/** The files `kubelab ARGS` loaded, from a preloaded hook that lists require.cache at exit. */
function loadedModules(args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-modules-"));
  temps.push(dir);
  const hook = path.join(dir, "hook.js");
  const list = path.join(dir, "loaded.json");
  fs.writeFileSync(
    hook,
    `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  kubelab(args, { env: { ...process.env, NODE_OPTIONS: `--require ${hook}` } });
  return JSON.parse(fs.readFileSync(list, "utf8")) as string[];
}

test("check loads the rules and js-yaml, never the Pulumi SDK (render, for contrast, does)", () => {
  const check = loadedModules(["check", CLEAN_APP]);
  assert.ok(check.includes(path.join(ROOT, "dist", "cli", "check.js")));
  assert.ok(check.some((file) => file.includes(`${path.sep}js-yaml${path.sep}`)));
  const from = (files: string[], name: string) => files.filter((f) => f.includes(`/node_modules/${name}/`));
  // `yaml` is loaded only for documents js-yaml refuses: the clean app has none.
  for (const name of ["@pulumi", "kubernetes-models", "yaml"]) assert.deepEqual(from(check, name), [], name);
  assert.notDeepEqual(from(loadedModules(["render", "--help"]), "@pulumi/pulumi"), []);
});

test("bench refuses an unknown section or a count that is not a positive integer (exit 2)", () => {
  const section = kubelab(["bench", "--only", "check,lint"]);
  assert.equal(section.code, 2);
  assert.match(section.stderr, /unknown section lint; sections: program, check, linters/);
  const count = kubelab(["bench", "--linter-objects", "0"]);
  assert.equal(count.code, 2);
  assert.match(count.stderr, /write positive integers/);
});
