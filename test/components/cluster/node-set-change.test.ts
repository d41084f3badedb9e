// Adding a worker touches only that worker's own resources, its join token included (acceptance:
// replacing one node touches nothing else).
import { test } from "node:test";
import assert from "node:assert/strict";
import { hosts, render, staticValues } from "../../mocks";

function clusterInputs(run: Awaited<ReturnType<typeof render>>): Map<string, string> {
  return new Map(
    run.run.resources.filter((r) => r.name.startsWith("cluster-")).map((r) => [r.name, JSON.stringify(r.inputs)]),
  );
}

test("going from 1 CP + 2 workers to 1 CP + 3 workers changes only worker-3's resources", async () => {
  const before = clusterInputs(await render({ values: staticValues(hosts(1, 2)) }));
  const after = clusterInputs(await render({ values: staticValues(hosts(1, 3)) }));
  const changed = [...after.keys()].filter((name) => before.get(name) !== after.get(name)).sort();
  assert.deepEqual(changed, [
    "cluster-worker-3-join",
    "cluster-worker-3-join-teardown",
    "cluster-worker-3-join-token",
    "cluster-worker-3-prepare",
    "cluster-worker-3-registered",
    "cluster-worker-3-registered-teardown",
  ]);
  assert.ok(
    [...before.keys()].every((name) => after.has(name)),
    "nothing disappears",
  );
  assert.equal(before.get("cluster-cp-1-init"), after.get("cluster-cp-1-init"));
});
