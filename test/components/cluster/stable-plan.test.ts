// `pulumi preview` of an unchanged stack shows no changes: nothing the program registers depends on
// when it runs (the join token used to be minted again in every new hour).
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { redactSecrets } from "../../../cli/render/mock-runtime";
import { hosts, render, staticValues } from "../../mocks";

async function inputsAt(isoTime: string) {
  mock.timers.enable({ apis: ["Date"], now: new Date(isoTime) });
  try {
    const run = await render({
      values: staticValues(hosts(3, 2), { "kubelab:nodes": { controlPlaneEndpoint: "192.168.56.100" } }),
    });
    return new Map(run.run.resources.map((r) => [r.name, JSON.stringify(redactSecrets(r.inputs))]));
  } finally {
    mock.timers.reset();
  }
}

test("the same stack an hour (or a day) later registers exactly the same inputs", async () => {
  const first = await inputsAt("2026-11-26T13:10:00Z");
  for (const later of ["2026-11-26T14:10:00Z", "2026-11-27T13:10:00Z"]) {
    const again = await inputsAt(later);
    assert.deepEqual([...again.keys()], [...first.keys()]);
    const changed = [...first.keys()].filter((name) => first.get(name) !== again.get(name));
    assert.deepEqual(changed, [], `changed at ${later}`);
  }
});
