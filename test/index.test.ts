// index.ts under the mocks: a user's mistake ends the program as a Pulumi RunError, which the real
// engine prints as the message alone (an ordinary exception is printed with the program's stack).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { asRunError } from "../lib/user-errors";

describe("the program's entry point", () => {
  it("turns an invalid config into a RunError carrying kubelab's message", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(path.join(__dirname, "..", "index")) as () => Promise<unknown>;
    const config = {
      "kubelab:nodes": JSON.stringify({
        provider: "static",
        hosts: [{ name: "cp-1", address: "10.0.0.1", role: "control-plane" }],
      }),
      "kubelab:network": JSON.stringify({ nodeCidr: "10.0.0.0/24", podCidr: "10.96.0.0/16" }),
      "kubelab:ssh": JSON.stringify({ privateKeyPath: __filename }),
    };
    // The config fails before any resource is registered, so no mocked engine is needed.
    pulumi.runtime.setAllConfig(config);
    await assert.rejects(program(), (error: Error) => {
      assert.ok(pulumi.RunError.isInstance(error), "a RunError");
      assert.equal(error.name, "ConfigError");
      assert.match(error.message, /^invalid kubelab stack config/);
      assert.match(error.message, /\[cidr-overlap\]/);
      return true;
    });
  });

  it("leaves a bug as it is, so its stack trace stays visible", () => {
    const bug = new TypeError("x is undefined");
    assert.equal(asRunError(bug), bug);
    assert.equal(pulumi.RunError.isInstance(asRunError(bug)), false);
  });
});
