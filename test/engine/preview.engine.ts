// The real engine over kubelab's stacks (`npm run test:engine`): the TypeScript program under the
// Node.js language host, the command and kubernetes provider plugins, a local backend, and the
// CrossGuard pack. Skipped, with the reason, when no engine is available.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import { spawnSync } from "child_process";
import { renderStack } from "../../cli/render/stack";
import { copyFixture, copyProject, Engine, findEngine, previewSteps, Project, withKey } from "./harness";

const engine = findEngine();
const skip = typeof engine === "string" ? `skipped: ${engine}` : false;

function shape(list: { type: string; name: string; parent?: string }[]): string[] {
  return list.map((r) => `${r.type} ${r.name} <- ${r.parent ?? "(none)"}`).sort();
}

describe("the real Pulumi engine", { skip }, () => {
  let project: Project;
  before(() => {
    project = copyProject(engine as Engine);
  });
  after(() => project?.cleanup());

  function init(stack: string, config: Record<string, unknown>): void {
    project.writeStack(stack, config);
    const made = project.run(["stack", "init", stack]);
    assert.equal(made.status, 0, made.stderr);
  }

  for (const stack of ["byo", "ha"]) {
    it(`previews the ${stack} stack with the same resources and parents as render's plan`, async () => {
      const config = withKey(project, stack);
      init(stack, config);
      const preview = project.run(["preview", "--stack", stack, "--json"]);
      assert.equal(preview.status, 0, `${preview.stderr}\n${preview.stdout.slice(-4000)}`);
      const steps = previewSteps(preview.stdout);
      assert.ok(steps.length > 0, "the preview planned no resources");
      assert.ok(
        steps.every((s) => s.op === "create"),
        "a first preview only creates",
      );
      const rendered = await renderStack({ values: config, stack });
      assert.ok(rendered.ok, rendered.ok ? "" : rendered.error);
      const planned = rendered.run.resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent }));
      assert.deepEqual(shape(steps), shape(planned));
    });
  }

  it("fails an invalid config with kubelab's message, not a stack trace", () => {
    const config = withKey(project, "byo");
    config["kubelab:network"] = { ...(config["kubelab:network"] as object), podCidr: "10.96.0.0/16" };
    init("bad", config);
    const preview = project.run(["preview", "--stack", "bad"]);
    const output = `${preview.stdout}\n${preview.stderr}`;
    assert.notEqual(preview.status, 0);
    assert.match(output, /invalid kubelab stack config/);
    assert.match(output, /\[cidr-overlap\] kubelab:network/);
    assert.doesNotMatch(output, /^\s+at .+\.(ts|js):\d+:\d+\)?$/m, "a stack trace reached the user");
  });

  it("round-trips structured config keys through `pulumi config` as Pulumi.yaml declares them", () => {
    init("config", withKey(project, "byo"));
    const set = project.run(["config", "set", "--path", "kubelab:network.podCidr", "10.250.0.0/16", "-s", "config"]);
    assert.equal(set.status, 0, set.stderr);
    const read = project.run(["config", "get", "kubelab:network", "--json", "-s", "config"]);
    assert.equal(read.status, 0, read.stderr);
    const network = JSON.parse(JSON.parse(read.stdout).value);
    assert.equal(network.podCidr, "10.250.0.0/16");
    assert.equal(network.nodeCidr, "192.168.56.0/24", "the other fields of the object stay as they were");
    const defaults = project.run(["config", "get", "kubelab:verify", "--json", "-s", "config"]);
    assert.equal(defaults.status, 0, defaults.stderr);
    assert.deepEqual(JSON.parse(JSON.parse(defaults.stdout).value), { enabled: true, mode: "enforce" });
  });

  describe("the CrossGuard pack", () => {
    let pack: string;
    before(() => {
      pack = path.join(project.dir, "policy", "pack");
      const installed = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: pack, encoding: "utf8" });
      assert.equal(installed.status, 0, installed.stderr);
    });

    it("passes on kubelab's own stack, whose objects are not known before the cluster exists", () => {
      init("policy", withKey(project, "byo"));
      const preview = project.run(["preview", "--stack", "policy", "--policy-pack", pack]);
      assert.equal(preview.status, 0, `${preview.stdout}\n${preview.stderr}`);
      assert.doesNotMatch(preview.stdout, /kubelab-networking-errors/);
    });

    describe("over a program with a networking mistake", () => {
      let fixture: Project;
      before(() => {
        fixture = copyFixture(engine as Engine, "policy-program");
        fixture.writeStack("dev", {});
        assert.equal(fixture.run(["stack", "init", "dev"]).status, 0);
      });
      after(() => fixture?.cleanup());

      it("reports the broken rule from the engine and fails the preview", () => {
        const preview = fixture.run(["preview", "--stack", "dev", "--policy-pack", pack]);
        const output = `${preview.stdout}\n${preview.stderr}`;
        assert.notEqual(preview.status, 0, output);
        assert.match(output, /kubelab-networking-errors/);
        assert.match(output, /\[nodeport-duplicate\] Service\/policy-fixture\/web(-again)?: /);
      });

      it("passes once the mistake is fixed", () => {
        const set = fixture.run(["config", "set", "clean", "true", "--stack", "dev"]);
        assert.equal(set.status, 0, set.stderr);
        const preview = fixture.run(["preview", "--stack", "dev", "--policy-pack", pack]);
        assert.equal(preview.status, 0, `${preview.stdout}\n${preview.stderr}`);
      });
    });
  });
});
