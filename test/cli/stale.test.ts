import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { staleSources } from "../../cli/stale";

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A project with `files` (relative path -> modification time in seconds since the epoch). */
function project(files: Record<string, number>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-stale-"));
  temps.push(root);
  for (const [file, mtime] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "");
    fs.utimesSync(path.join(root, file), mtime, mtime);
  }
  return root;
}

test("a loaded compiled module older than its source is named; newer ones, other files and missing sources are not", () => {
  const root = project({
    "cli/check.ts": 2000,
    "dist/cli/check.js": 1000,
    "policy/load.ts": 1000,
    "dist/policy/load.js": 2000,
    "dist/cli/orphan.js": 1000,
    "node_modules/x/index.js": 1000,
  });
  const dist = path.join(root, "dist");
  const loaded = ["dist/cli/check.js", "dist/policy/load.js", "dist/cli/orphan.js", "node_modules/x/index.js"];
  assert.deepEqual(
    staleSources(
      root,
      dist,
      loaded.map((f) => path.join(root, f)),
    ),
    [path.join("cli", "check.ts")],
  );
});
