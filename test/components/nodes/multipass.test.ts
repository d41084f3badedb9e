import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { cloudInit } from "../../../components/nodes/cloud-init";
import { addressFromInfo, launchCommand } from "../../../components/nodes/multipass";
import { isSecretValue } from "../../../cli/render/mock-runtime";
import { parse } from "../../helpers";
import { render, resource, transitiveDeps } from "../../mocks";

const info = (vm: string, ipv4: string[]) => JSON.stringify({ errors: [], info: { [vm]: { ipv4 } } });

test("the VM address comes from multipass info and must lie inside nodeCidr", () => {
  assert.equal(addressFromInfo("cp-1", info("cp-1", ["192.168.64.5", "10.42.0.1"]), "192.168.64.0/24"), "192.168.64.5");
  assert.throws(
    () => addressFromInfo("cp-1", info("cp-1", ["10.10.3.7"]), "192.168.64.0/24"),
    /VM cp-1 got address 10\.10\.3\.7, outside kubelab:network\.nodeCidr 192\.168\.64\.0\/24; set nodeCidr to the Multipass network/,
  );
  assert.throws(() => addressFromInfo("cp-1", info("cp-1", []), "192.168.64.0/24"), /no IPv4 address for cp-1/);
  assert.throws(() => addressFromInfo("cp-1", "launch failed", "192.168.64.0/24"), /did not return JSON/);
});

test("launching is idempotent, reads cloud-init from stdin and prints only the info JSON", () => {
  const config = parse({ nodes: { provider: "multipass" } });
  const command = launchCommand(config.nodes.specs[0], config);
  assert.equal(
    command,
    "(multipass info cp-1 >/dev/null 2>&1 || multipass launch --name cp-1 --cpus 2 --memory 4G --disk 20G --cloud-init - 24.04 >&2) && multipass info cp-1 --format json",
  );
});

test("cloud-init authorises the key for ubuntu, or creates another user with passwordless sudo", () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB lab@host";
  assert.deepEqual(YAML.parse(cloudInit("ubuntu", key)), { ssh_authorized_keys: [key] });
  const other = YAML.parse(cloudInit("lab", key));
  assert.equal(other.users[1].name, "lab");
  assert.equal(other.users[1].sudo, "ALL=(ALL) NOPASSWD:ALL");
  assert.match(cloudInit("ubuntu", key), /^#cloud-config\n/);
  assert.throws(
    () => cloudInit("ubuntu", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    /does not hold an OpenSSH public key/,
  );
});

test("every step on a VM waits for the VM; destroy purges it", async () => {
  const run = await render({ stack: "lab" });
  const vm = resource(run, "nodes-worker-1-vm");
  assert.equal(vm.type, "command:local:Command");
  assert.equal(vm.inputs.delete, "multipass delete --purge worker-1 || true");
  assert.ok(transitiveDeps(run, "cluster-worker-1-prepare").has("nodes-worker-1-vm"));
  assert.ok(isSecretValue(resource(run, "cluster-worker-1-prepare").inputs.connection));
});
