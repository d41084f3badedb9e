import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile, withStandInKeys } from "../../cli/stack-file";

function stackFile(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-stack-"));
  const file = path.join(dir, "Pulumi.mine.yaml");
  fs.writeFileSync(file, body);
  return file;
}

test("relative key paths in a --config file resolve against that file's folder; ~ and absolute stay", () => {
  const file = stackFile("config:\n  kubelab:ssh: { privateKeyPath: keys/id, publicKeyPath: ~/.ssh/id.pub }\n");
  const ssh = JSON.parse(readStackFile(file).config["kubelab:ssh"]);
  assert.equal(ssh.privateKeyPath, path.join(path.dirname(file), "keys", "id"));
  assert.equal(ssh.publicKeyPath, "~/.ssh/id.pub");
});

test("Pulumi.yaml defaults fill keys the stack does not set", () => {
  const stack = readStackFile(stackFile("config:\n  kubelab:kubernetesVersion: '1.35'\n"));
  assert.equal(stack.config["kubelab:kubernetesVersion"], "1.35");
  assert.equal(JSON.parse(stack.config["kubelab:network"]).podCidr, "10.244.0.0/16");
  assert.equal(stack.config["kubelab:sshPrivateKey"], undefined);
});

test("an encrypted value is known to be set but never decrypted offline", () => {
  const stack = readStackFile(stackFile("config:\n  kubelab:sshPrivateKey: { secure: AAABAJx0ZXN0 }\n"));
  assert.equal(stack.config["kubelab:sshPrivateKey"], "[encrypted kubelab:sshPrivateKey]");
  assert.ok(stack.secretKeys.includes("kubelab:sshPrivateKey"));
});

test("render's stand-in keys replace the configured key paths and are not real keys", () => {
  const { stack, dir } = withStandInKeys(readStackFile(stackFile("config: {}\n")));
  const ssh = JSON.parse(stack.config["kubelab:ssh"]);
  assert.ok(ssh.privateKeyPath.startsWith(dir));
  assert.match(fs.readFileSync(ssh.privateKeyPath, "utf8"), /render stand-in, not a key/);
  fs.rmSync(dir, { recursive: true, force: true });
});
