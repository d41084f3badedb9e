import { test } from "node:test";
import assert from "node:assert/strict";
import { revealSecrets } from "../../../cli/render/mock-runtime";
import { render, resource, staticValues } from "../../mocks";

test("static hosts connect with the configured user, port, pinned host key and a patient dial limit", async () => {
  const run = await render({
    values: staticValues(
      [
        {
          name: "cp-1",
          address: "192.168.56.10",
          role: "control-plane",
          port: 2222,
          hostKey: "ssh-ed25519 AAAApinned",
        } as never,
        { name: "worker-1", address: "192.168.56.11", role: "worker" },
      ],
      { "kubelab:ssh": { user: "lab", dialErrorLimit: 90 } },
    ),
  });
  const cp = revealSecrets(resource(run, "cluster-cp-1-prepare").inputs.connection) as Record<string, unknown>;
  assert.equal(cp.host, "192.168.56.10");
  assert.equal(cp.port, 2222);
  assert.equal(cp.user, "lab");
  assert.equal(cp.hostKey, "ssh-ed25519 AAAApinned");
  assert.equal(cp.dialErrorLimit, 90);
  const worker = revealSecrets(resource(run, "cluster-worker-1-prepare").inputs.connection) as Record<string, unknown>;
  assert.equal(worker.port, 22);
  assert.equal(worker.hostKey, undefined);
});
