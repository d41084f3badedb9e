import { test } from "node:test";
import assert from "node:assert/strict";
import { benchCheck, formatBenchTable } from "../../cli/bench-check";

test("benchCheck reports objects, median ms and violations per size", () => {
  const results = benchCheck([30, 60], 1);
  assert.deepEqual(
    results.map((r) => r.objects),
    [30, 60],
  );
  for (const r of results) {
    assert.ok(r.ms >= r.rulesMs && r.rulesMs >= 0);
    assert.ok(r.violations > 0);
  }
  assert.match(formatBenchTable(results), /^\| objects \| median ms/);
});
