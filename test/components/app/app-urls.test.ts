import { test } from "node:test";
import assert from "node:assert/strict";
import { appUrls } from "../../../components/app/app-urls";
import { buildAppObjects, frontendsOf } from "../../../components/app/manifests";

const NODES = ["192.168.56.10", "192.168.56.11", "192.168.56.12"];

test("each frontend gets one URL per node, on every node (3 nodes x 2 frontends)", () => {
  const urls = appUrls(NODES, frontendsOf(buildAppObjects({})));
  assert.deepEqual(urls, {
    vote: ["http://192.168.56.10:30004", "http://192.168.56.11:30004", "http://192.168.56.12:30004"],
    result: ["http://192.168.56.10:30005", "http://192.168.56.11:30005", "http://192.168.56.12:30005"],
  });
  assert.equal(Object.values(urls).flat().length, NODES.length * 2);
});

test("the configured NodePorts are the ones in the URLs", () => {
  const urls = appUrls(NODES.slice(0, 1), frontendsOf(buildAppObjects({ voteNodePort: 31000, resultNodePort: 31001 })));
  assert.deepEqual(urls, { vote: ["http://192.168.56.10:31000"], result: ["http://192.168.56.10:31001"] });
});

test("IPv6 node addresses are bracketed", () => {
  assert.deepEqual(appUrls(["fd00::10"], [{ name: "vote", nodePort: 30004 }]), { vote: ["http://[fd00::10]:30004"] });
});

test("no nodes yields an empty list per frontend; a frontend listed twice is an error", () => {
  assert.deepEqual(appUrls([], [{ name: "vote", nodePort: 30004 }]), { vote: [] });
  assert.throws(
    () =>
      appUrls(NODES, [
        { name: "vote", nodePort: 30004 },
        { name: "vote", nodePort: 30006 },
      ]),
    /frontend "vote" is listed twice/,
  );
});
