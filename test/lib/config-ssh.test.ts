import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseLabConfig } from "../../config";
import { keyIsEncrypted } from "../../lib/config-ssh";
import { staticRaw } from "../helpers";

const KEYS = path.join(__dirname, "..", "fixtures", "ssh");
const key = (name: string) => fs.readFileSync(path.join(KEYS, name), "utf8");

test("encrypted keys are told apart in OpenSSH, PEM and PKCS#8 form", () => {
  assert.equal(keyIsEncrypted(key("ed25519-plain")), false);
  assert.equal(keyIsEncrypted(key("pkcs8-plain")), false);
  assert.equal(keyIsEncrypted(key("ed25519-encrypted")), true);
  assert.equal(keyIsEncrypted(key("rsa-pem-encrypted")), true);
  assert.equal(keyIsEncrypted(key("pkcs8-encrypted")), true);
  assert.equal(
    keyIsEncrypted("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n"),
    false,
  );
});

function configWith(file: string, sources: Parameters<typeof parseLabConfig>[1] = {}) {
  return parseLabConfig(staticRaw({ ssh: { privateKeyPath: path.join(KEYS, file) } }), {
    agentSocket: null,
    ...sources,
  });
}

test("an encrypted key with neither passphrase nor agent fails validation naming both fixes", () => {
  try {
    configWith("ed25519-encrypted");
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.problems.length, 1);
    const message = error.message;
    assert.match(message, /kubelab:ssh\.privateKeyPath = ".*ed25519-encrypted": the private key is encrypted/);
    assert.match(message, /pulumi config set --secret kubelab:sshKeyPassphrase/);
    assert.match(message, /ssh-add KEYFILE/);
    assert.match(message, /SSH_AUTH_SOCK/);
    assert.ok(!message.includes(key("ed25519-encrypted").split("\n")[1]), "the key never appears");
  }
  assert.throws(
    () => parseLabConfig(staticRaw(), { sshPrivateKey: key("rsa-pem-encrypted"), agentSocket: null }),
    (error: Error) => /kubelab:sshPrivateKey = "\[secret\]": the private key is encrypted/.test(error.message),
  );
});

test("an encrypted key is unlocked by kubelab:sshKeyPassphrase, or left to the SSH agent", async () => {
  const withPassphrase = configWith("ed25519-encrypted", { sshKeyPassphrase: "kubelab-test" });
  assert.equal(withPassphrase.ssh.auth, "key-with-passphrase");
  assert.ok(withPassphrase.ssh.privateKey && withPassphrase.ssh.privateKeyPassword);
  const agent = configWith("ed25519-encrypted", { agentSocket: "/run/user/1000/ssh-agent.sock" });
  assert.equal(agent.ssh.auth, "agent");
  assert.equal(agent.ssh.privateKey, undefined, "the provider cannot parse an encrypted key without its passphrase");
  assert.equal(agent.ssh.privateKeyPassword, undefined);
  // A passphrase given for a key that has none would make the provider refuse the key.
  const plain = configWith("ed25519-plain", { sshKeyPassphrase: "kubelab-test" });
  assert.equal(plain.ssh.auth, "key");
  assert.equal(plain.ssh.privateKeyPassword, undefined);
});
