import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  NODE_SCRIPTS_ROOT,
  SCRIPTS_DIR,
  SENT_OVER_SSH,
  installCommand,
  scriptBundle,
} from "../../components/node-scripts";
import { parseStepHeader, scriptCommand } from "../../components/remote";
import { hosts, render, resource, staticValues } from "../mocks";

const scratch: string[] = [];
after(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Runs the shipping step's command with its root moved to a scratch folder and without sudo. */
function install(root: string, hash: string, archive: string) {
  const text = installCommand(hash).replace("sudo -n ", "").replaceAll(NODE_SCRIPTS_ROOT, root);
  return spawnSync("sh", ["-c", text], { input: archive, encoding: "utf8" });
}

test("the shipping step unpacks every node script into a folder named by their hash, once", () => {
  const bundle = scriptBundle();
  assert.match(bundle.hash, /^[0-9a-f]{16}$/);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-scripts-"));
  scratch.push(root);
  const first = install(root, bundle.hash, bundle.archive);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, `node scripts ${bundle.hash} installed in ${root}/${bundle.hash}\n`);
  for (const name of bundle.names)
    assert.equal(
      fs.readFileSync(path.join(root, bundle.hash, name), "utf8"),
      fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8"),
    );
  assert.ok(bundle.names.includes("init.sh") && bundle.names.includes("prepare.sh"));
  // Teardown and the network check send their scripts over SSH themselves.
  for (const sent of SENT_OVER_SSH) assert.ok(!bundle.names.includes(`${sent}.sh`), sent);
  const again = install(root, bundle.hash, bundle.archive);
  assert.equal(again.stdout, `node scripts ${bundle.hash} already in ${root}/${bundle.hash}\n`);
  // A new version replaces the old folder: no step names it any more.
  const next = install(root, "0123456789abcdef", bundle.archive);
  assert.equal(next.status, 0, next.stderr);
  assert.deepEqual(fs.readdirSync(root), ["0123456789abcdef"]);
});

test("the archive is the same bytes whatever the files' modes and times", () => {
  const { archive } = scriptBundle();
  const listing = spawnSync("tar", ["-tvzf", "-"], { input: Buffer.from(archive, "base64"), encoding: "utf8" });
  for (const line of listing.stdout.trim().split("\n")) assert.match(line, /^-rw-r--r-- 0\/0 .* 1970-01-01 00:00 /);
});

test("a step runs its script by path, so its command (and any error) is short and names step and node", () => {
  const text = scriptCommand("join", { NODE_NAME: "worker-1" }, { node: "worker-1", step: "join" });
  const { dir } = scriptBundle();
  assert.equal(
    text,
    `# kubelab step: node=worker-1 step=join\nsudo -n env NODE_NAME=worker-1 bash ${dir}/join.sh || ` +
      '{ rc=$?; echo "kubelab: step join failed on node worker-1 with exit code $rc" >&2; exit $rc; }',
  );
});

test("every node gets the scripts before any step runs on it, and no command carries a script's text", async () => {
  const run = await render({ values: staticValues(hosts(1, 2)) });
  const reset = fs.readFileSync(path.join(SCRIPTS_DIR, "reset.sh"), "utf8").split("\n")[1];
  for (const node of ["cp-1", "worker-1", "worker-2"]) {
    const ship = resource(run, `scripts-${node}`);
    assert.equal(ship.inputs.stdin, scriptBundle().archive);
    assert.deepEqual(ship.inputs.triggers, [scriptBundle().hash]);
  }
  const steps = run.run.resources.filter((r) => r.type === "command:remote:Command" && !r.name.startsWith("scripts-"));
  assert.ok(steps.length > 0);
  for (const step of steps) {
    const create = String(step.inputs.create);
    const where = parseStepHeader(create)?.node;
    assert.ok(step.dependsOn.includes(`scripts-${where}`), `${step.name} waits for the scripts on ${where}`);
    const script = new RegExp(`bash ${scriptBundle().dir}/([a-z0-9-]+\\.sh)`).exec(create)?.[1];
    assert.ok(script && scriptBundle().names.includes(script), `${step.name} runs a shipped script (${script})`);
  }
  for (const r of run.run.resources.filter((res) => res.type.startsWith("command:")))
    for (const field of ["create", "delete"]) {
      const command = String(r.inputs[field] ?? "");
      assert.ok(command.length < 4000, `${r.name}.${field} is ${command.length} characters`);
      assert.ok(!command.includes(reset), `${r.name}.${field} carries a script`);
    }
});

test("render shows each step's command and, below it, the script its path holds", async () => {
  const run = await render({ stack: "byo" });
  const init = run.files.get("nodes/cp-1/init.sh") as string;
  assert.match(init, new RegExp(`bash ${scriptBundle().dir}/init\\.sh`));
  assert.match(
    init,
    new RegExp(
      `# ---- ${scriptBundle().dir}/init\\.sh, shipped from scripts/node/init\\.sh ----\n# #!/usr/bin/env bash\n`,
    ),
  );
  assert.match(run.files.get("nodes/worker-1/scripts.sh") as string, /# stdin: a tar \(base64\) of scripts\/node/);
});
