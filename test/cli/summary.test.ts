import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";
import { stackBundle } from "../../cli/stack-bundle";
import { summary } from "../../cli/summary";

test("after up: every frontend's URLs, the network report and the warnings", () => {
  const text = summary({
    appUrls: { vote: ["http://10.0.0.2:30004", "http://10.0.0.3:30004"] },
    networkReport: {
      ok: true,
      requirements: [{ requirement: "pod-cidr", ok: true, summary: "2 probe pod IPs inside", evidence: [] }],
    },
    warnings: ["local nodes run cgroup v1"],
  });
  assert.match(text, /^vote: http:\/\/10\.0\.0\.2:30004 {2}http:\/\/10\.0\.0\.3:30004\n/);
  assert.match(text, /network model: OK \(1 of 1 requirements hold\)/);
  assert.match(text, /warning: local nodes run cgroup v1\n$/);
  assert.equal(summary({}), "");
});

test("the bundle a stack installs from, home expanded, with its Kubernetes version; nothing online", () => {
  const config = { "kubelab:offline": '{"bundle":"~/b/1.36.3"}', "kubelab:kubernetesVersion": "1.36.3" };
  assert.equal(stackBundle(config), `${path.join(os.homedir(), "b", "1.36.3")} 1.36.3`);
  assert.equal(stackBundle({ "kubelab:offline": "{}" }), "");
  assert.equal(stackBundle({}), "");
});
