// Every environment in stacks/ renders under the mocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { render } from "./mocks";

const stacks = fs
  .readdirSync(path.join(__dirname, "..", "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => Boolean(s));

test("there are lab, byo and ha stacks", () => {
  for (const stack of ["lab", "byo", "ha"]) assert.ok(stacks.includes(stack), stack);
});

for (const stack of stacks) {
  test(`stack ${stack} renders`, async () => {
    const run = await render({ stack });
    assert.ok(
      run.run.resources.some((r) => r.name.endsWith("-init")),
      "kubeadm init is planned",
    );
    assert.ok(run.files.has("plan.json"));
  });
}
