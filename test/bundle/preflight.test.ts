import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, preflightProblems } from "../../scripts/bundle/lib/preflight";

const ready: Host = { has: () => true, uid: 0, seccompLibDir: "/usr/lib/x86_64-linux-gnu", exists: () => true };

test("a host with every tool, root and static libseccomp can build", () => {
  assert.deepEqual(preflightProblems(ready), []);
});

test("every gap is named at once with the command that fixes it", () => {
  const problems = preflightProblems({
    has: (c) => !["debootstrap", "gcc"].includes(c),
    uid: 1000,
    seccompLibDir: "/usr/lib/x86_64-linux-gnu",
    exists: () => false,
  });
  assert.deepEqual(problems, [
    "gcc is not installed: apt-get install -y gcc libc6-dev",
    "debootstrap is not installed: apt-get install -y debootstrap",
    "the image root filesystems need root (debootstrap, chroot): run the build as root",
    "runc links libseccomp statically and libseccomp.a is missing: apt-get install -y libseccomp-dev",
  ]);
});
