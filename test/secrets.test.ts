// Sentinel secrets planted in every place a secret enters must never surface in plain text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJoinToken } from "../components/cluster/kubeadm-config";
import * as fs from "fs";
import * as path from "path";
import { isSecretValue, redactSecrets, revealSecrets } from "../cli/render/mock-runtime";
import { hosts, render, staticValues } from "./mocks";

const SSH_KEY = "SENTINEL-SSH-KEY-q8Zr";
const TOKEN = "s3ntnl.s3ntinelt0ken999";
const CERT_KEY = "5e471e1a".repeat(8);
const CA_HASH = `sha256:${"ab".repeat(32)}`;
const SENTINELS = [SSH_KEY, TOKEN, "s3ntinelt0ken999", CERT_KEY];

const mockedOutputs = [
  {
    suffix: "-join-token",
    produce: () => ({ stdout: `${JSON.stringify({ token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY })}\n` }),
  },
];

function assertClean(where: string, text: string): void {
  for (const sentinel of SENTINELS)
    assert.ok(!text.includes(sentinel), `${where} contains a secret (${sentinel.slice(0, 8)}...)`);
}

test("the SSH key, token and certificate key never appear in commands, names, plan.json or plain outputs", async () => {
  const run = await render({
    values: staticValues(hosts(3, 2), {
      "kubelab:nodes": { controlPlaneEndpoint: "192.168.56.100" },
      "kubelab:sshPrivateKey": SSH_KEY,
    }),
    mockedOutputs,
  });
  // The sentinels did flow: the join config a control plane receives holds them (as a secret).
  const cpJoin = run.run.resources.find((r) => r.name === "cluster-cp-2-join");
  assert.ok(JSON.stringify(cpJoin?.inputs.stdin).includes(CERT_KEY), "the certificate key reaches the join");
  assert.ok(
    JSON.stringify(run.run.resources.map((r) => r.inputs.connection)).includes(SSH_KEY),
    "the key reaches connections",
  );

  for (const r of run.run.resources) {
    assertClean(`name of ${r.name}`, r.name);
    for (const field of ["create", "delete", "update"])
      assertClean(`${field} of ${r.name}`, JSON.stringify(r.inputs[field] ?? ""));
    assertClean(`inputs of ${r.name}`, JSON.stringify(redactSecrets(r.inputs)));
  }
  for (const [file, content] of run.files) assertClean(file, content);
  assertClean("stack outputs", JSON.stringify(redactSecrets(run.run.outputs)));
});

test("a malformed token step output fails without quoting it", () => {
  assert.throws(
    () => parseJoinToken(`token ${TOKEN} and more\n`),
    (error: Error) => {
      assertClean("error", `${error.message}\n${error.stack}`);
      return /join-token/.test(error.message);
    },
  );
});

test("the SSH key passphrase reaches every connection as a secret and nowhere in plain text", async () => {
  const encryptedKey = fs.readFileSync(path.join(__dirname, "fixtures", "ssh", "ed25519-encrypted"), "utf8");
  const PASSPHRASE = "SENTINEL-PASSPHRASE-k2Vw";
  const run = await render({
    values: staticValues(hosts(1, 1), {
      "kubelab:sshPrivateKey": encryptedKey,
      "kubelab:sshKeyPassphrase": PASSPHRASE,
    }),
  });
  const remote = run.run.resources.filter((r) => r.type === "command:remote:Command");
  assert.ok(remote.length > 0);
  for (const r of remote) {
    assert.ok(isSecretValue(r.inputs.connection), `${r.name}: the connection is secret`);
    const connection = revealSecrets(r.inputs.connection) as Record<string, unknown>;
    assert.equal(connection.privateKeyPassword, PASSPHRASE, r.name);
    assert.equal(connection.privateKey, encryptedKey, r.name);
  }
  for (const r of run.run.resources) {
    for (const secret of [PASSPHRASE, encryptedKey.split("\n")[1]])
      assert.ok(!JSON.stringify(redactSecrets(r.inputs)).includes(secret), `inputs of ${r.name}`);
  }
  for (const [file, content] of run.files) assert.ok(!content.includes(PASSPHRASE), file);
});
