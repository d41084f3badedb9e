import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedComponent, isCached, shortHash } from "../../scripts/bundle/lib/cache";

function tmpCache(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "bundle-cache-"));
}

test("a component is built once; the next run finds it cached", async () => {
  const cache = tmpCache();
  let builds = 0;
  const build = (tmp: string) => {
    builds++;
    fs.writeFileSync(path.join(tmp, "bin"), "x");
  };
  const first = await cachedComponent(cache, "thing-v1", build);
  const second = await cachedComponent(cache, "thing-v1", build);
  assert.equal(builds, 1);
  assert.equal(first.built, true);
  assert.equal(second.built, false);
  assert.equal(fs.readFileSync(path.join(second.dir, "bin"), "utf8"), "x");
  fs.rmSync(cache, { recursive: true });
});

test("a failed build leaves nothing that looks complete, and the next run starts it over", async () => {
  const cache = tmpCache();
  await assert.rejects(
    cachedComponent(cache, "thing-v1", (tmp) => {
      fs.writeFileSync(path.join(tmp, "half"), "x");
      throw new Error("interrupted");
    }),
    /interrupted/,
  );
  assert.equal(isCached(cache, "thing-v1"), false);
  const r = await cachedComponent(cache, "thing-v1", (tmp) => fs.writeFileSync(path.join(tmp, "whole"), "y"));
  assert.deepEqual(fs.readdirSync(r.dir), ["whole"]);
  assert.deepEqual(fs.readdirSync(cache), ["thing-v1"]);
  fs.rmSync(cache, { recursive: true });
});

test("a component another live process is building is not touched", async () => {
  const cache = tmpCache();
  // The parent of this test process is alive for as long as the test runs.
  fs.writeFileSync(path.join(cache, ".tmp-thing-v1.lock"), `${process.ppid}\n`);
  await assert.rejects(
    cachedComponent(cache, "thing-v1", () => undefined),
    /being built by process \d+/,
  );
  // A lock left by a process that is gone is taken over.
  fs.writeFileSync(path.join(cache, ".tmp-thing-v1.lock"), "2147483646\n");
  assert.equal((await cachedComponent(cache, "thing-v1", () => undefined)).built, true);
  fs.rmSync(cache, { recursive: true });
});

test("cache keys change with any part of the recipe", () => {
  assert.equal(shortHash("a", "b"), shortHash("a", "b"));
  assert.notEqual(shortHash("a", "b"), shortHash("ab"));
  assert.match(shortHash("x"), /^[0-9a-f]{10}$/);
});
