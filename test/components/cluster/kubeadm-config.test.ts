import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import {
  CRI_SOCKET,
  InitConfigArgs,
  JoinConfigArgs,
  endpointHost,
  initConfigYaml,
  joinConfigYaml,
  parseJoinToken,
  parseKubeadmVersion,
} from "../../../components/cluster/kubeadm-config";
import { MOCK_TOKEN, mockKubeadmVersion, mockedOutputs } from "../../../components/cluster/mocked";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "kubeadm");

/** Compares with the committed fixture; `UPDATE_SNAPSHOTS=1` rewrites it instead. */
function assertSnapshot(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env.UPDATE_SNAPSHOTS === "1") {
    fs.mkdirSync(FIXTURES, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs; rerun with UPDATE_SNAPSHOTS=1 if intended`);
}

const TOKEN = "k7x2pq.9f3h1m0z8c4v6b2n";
const CA_HASH = `sha256:${"a1b2c3d4".repeat(8)}`;
const CERT_KEY = "0e1f2a3b".repeat(8);

const single: InitConfigArgs = {
  nodeName: "cp-1",
  advertiseAddress: "192.168.56.10",
  kubernetesVersion: "v1.36.4",
  controlPlaneEndpoint: "192.168.56.10:6443",
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/12",
  dnsDomain: "cluster.local",
  controlPlaneAddresses: ["192.168.56.10"],
  skipKubeProxy: false,
};

const ha: InitConfigArgs = {
  ...single,
  kubernetesVersion: "1.36.4",
  controlPlaneEndpoint: "192.168.56.100:6443",
  controlPlaneAddresses: ["192.168.56.10", "192.168.56.11", "192.168.56.12"],
  skipKubeProxy: true,
};

const worker: JoinConfigArgs = {
  nodeName: "worker-1",
  nodeAddress: "192.168.56.21",
  apiServerEndpoint: "192.168.56.100:6443",
  token: TOKEN,
  caCertHash: CA_HASH,
};

const controlPlane: JoinConfigArgs = {
  ...worker,
  nodeName: "cp-2",
  nodeAddress: "192.168.56.11",
  controlPlane: { certificateKey: CERT_KEY },
};

// Parsed kubeadm documents are navigated freely; the assertions check the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function docs(text: string): Record<string, any>[] {
  return YAML.parseAllDocuments(text).map((d) => d.toJS());
}

test("init YAML for one control plane matches its snapshot", () => {
  assertSnapshot("init-single.yaml", initConfigYaml(single));
});

test("init YAML for three control planes without kube-proxy matches its snapshot", () => {
  assertSnapshot("init-ha-no-kube-proxy.yaml", initConfigYaml(ha));
});

test("worker join YAML matches its snapshot", () => {
  assertSnapshot("join-worker.yaml", joinConfigYaml(worker));
});

test("control-plane join YAML matches its snapshot", () => {
  assertSnapshot("join-control-plane.yaml", joinConfigYaml(controlPlane));
});

test("init YAML is an InitConfiguration then a ClusterConfiguration, both v1beta4", () => {
  const [init, cluster] = docs(initConfigYaml(single));
  assert.deepEqual(
    [init.apiVersion, init.kind, cluster.apiVersion, cluster.kind],
    ["kubeadm.k8s.io/v1beta4", "InitConfiguration", "kubeadm.k8s.io/v1beta4", "ClusterConfiguration"],
  );
});

test("init YAML carries the subnets, DNS domain, endpoint and a v-prefixed version", () => {
  const [, cluster] = docs(initConfigYaml(ha));
  assert.deepEqual(cluster.networking, {
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
    dnsDomain: "cluster.local",
  });
  assert.equal(cluster.controlPlaneEndpoint, "192.168.56.100:6443");
  assert.equal(cluster.kubernetesVersion, "v1.36.4");
});

test("init YAML advertises the node address and pins kubelet's node-ip to it", () => {
  const [init] = docs(initConfigYaml(single));
  assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: "192.168.56.10", bindPort: 6443 });
  assert.deepEqual(init.nodeRegistration, {
    name: "cp-1",
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [{ name: "node-ip", value: "192.168.56.10" }],
  });
});

test("certSANs hold every control-plane address and the endpoint host, once each, in order", () => {
  const [, cluster] = docs(initConfigYaml(ha));
  assert.deepEqual(cluster.apiServer.certSANs, ["192.168.56.10", "192.168.56.11", "192.168.56.12", "192.168.56.100"]);
  const [, singleCluster] = docs(initConfigYaml(single));
  assert.deepEqual(singleCluster.apiServer.certSANs, ["192.168.56.10"]);
  const [, dnsCluster] = docs(initConfigYaml({ ...single, controlPlaneEndpoint: "api.lab.example:8443" }));
  assert.deepEqual(dnsCluster.apiServer.certSANs, ["192.168.56.10", "api.lab.example"]);
});

test("skipPhases skips kube-proxy only when asked", () => {
  assert.deepEqual(docs(initConfigYaml(ha))[0].skipPhases, ["addon/kube-proxy"]);
  assert.equal("skipPhases" in docs(initConfigYaml(single))[0], false);
});

test("endpointHost strips the port, including from bracketed IPv6", () => {
  assert.equal(endpointHost("api.lab:6443"), "api.lab");
  assert.equal(endpointHost("10.0.0.5"), "10.0.0.5");
  assert.equal(endpointHost("[fd00::1]:6443"), "fd00::1");
});

test("worker join YAML discovers through the token and CA hash and has no controlPlane", () => {
  const [join] = docs(joinConfigYaml(worker));
  assert.equal(join.kind, "JoinConfiguration");
  assert.deepEqual(join.discovery.bootstrapToken, {
    apiServerEndpoint: "192.168.56.100:6443",
    token: TOKEN,
    caCertHashes: [CA_HASH],
  });
  assert.deepEqual(join.nodeRegistration.kubeletExtraArgs, [{ name: "node-ip", value: "192.168.56.21" }]);
  assert.equal(join.nodeRegistration.criSocket, CRI_SOCKET);
  assert.equal("controlPlane" in join, false);
});

test("control-plane join YAML advertises the node and carries the certificate key", () => {
  const [join] = docs(joinConfigYaml(controlPlane));
  assert.deepEqual(join.controlPlane, {
    localAPIEndpoint: { advertiseAddress: "192.168.56.11", bindPort: 6443 },
    certificateKey: CERT_KEY,
  });
});

test("an all-digit certificate key stays a string for kubeadm's YAML 1.1 reader", () => {
  const digits = "0123456789".repeat(7).slice(0, 64);
  const text = joinConfigYaml({ ...controlPlane, controlPlane: { certificateKey: digits } });
  assert.match(text, new RegExp(`certificateKey: "${digits}"`));
  assert.equal(YAML.parse(text, { version: "1.1" }).controlPlane.certificateKey, digits);
});

test("joinConfigYaml refuses a malformed token without quoting it", () => {
  const bad = "NOT-A-TOKEN-secret-value";
  assert.throws(
    () => joinConfigYaml({ ...worker, token: bad }),
    (error: Error) => /token is not well-formed/.test(error.message) && !error.message.includes(bad),
  );
});

const json = (value: unknown) => `${JSON.stringify(value)}\n`;

test("parseJoinToken reads the join-token line", () => {
  assert.deepEqual(parseJoinToken(json({ token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY })), {
    token: TOKEN,
    caCertHash: CA_HASH,
    certificateKey: CERT_KEY,
  });
  assert.equal(parseJoinToken(json({ token: TOKEN, caCertHash: CA_HASH, certificateKey: "" })).certificateKey, "");
});

test("parseJoinToken errors never contain the values they reject", () => {
  const cases: [string, string, RegExp][] = [
    [json({ token: "Secret.Token-Value", caCertHash: CA_HASH, certificateKey: "" }), "Secret.Token-Value", /token/],
    [json({ token: TOKEN, caCertHash: "sha256:deadbeefsecret", certificateKey: "" }), "deadbeefsecret", /caCertHash/],
    [json({ token: TOKEN, caCertHash: CA_HASH, certificateKey: "secretkey123" }), "secretkey123", /certificateKey/],
    [`{"token":"${TOKEN}", broken`, TOKEN, /one JSON object line/],
    [`noise ${TOKEN}\n${json({ token: TOKEN, caCertHash: CA_HASH })}`, TOKEN, /got 2 line/],
    ["", "", /got 0 line/],
  ];
  for (const [stdout, secret, expected] of cases) {
    assert.throws(
      () => parseJoinToken(stdout),
      (error: Error) => {
        assert.match(error.message, expected);
        if (secret) assert.equal(error.message.includes(secret), false, error.message);
        assert.equal(error.message.includes(TOKEN), false, error.message);
        assert.equal((error as Error & { cause?: unknown }).cause, undefined);
        return true;
      },
    );
  }
});

test("parseKubeadmVersion takes the KUBEADM_VERSION line", () => {
  assert.equal(parseKubeadmVersion("installing...\nKUBEADM_VERSION=v1.36.4\n"), "v1.36.4");
  assert.equal(parseKubeadmVersion("KUBEADM_VERSION=v1.37.0-rc.1"), "v1.37.0-rc.1");
});

test("parseKubeadmVersion explains a missing or malformed line", () => {
  assert.throws(() => parseKubeadmVersion("done\n"), /no KUBEADM_VERSION=v<major>.<minor>.<patch> line.*"done"/);
  assert.throws(
    () => parseKubeadmVersion("KUBEADM_VERSION=1.36\n"),
    /malformed kubeadm version line "KUBEADM_VERSION=1.36"/,
  );
});

function produce(suffix: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const entry = mockedOutputs.find((m) => m.suffix === suffix);
  assert.ok(entry, suffix);
  const args = { type: "command:remote:Command", name: `lab-x${suffix}`, inputs, provider: "", id: undefined };
  // Producers may take a render context as a second argument; these ignore it.
  const producer = entry.produce as (...params: unknown[]) => Record<string, unknown>;
  return producer(args, { config: {} });
}

test("mocked prepare output parses to the version its env asks for", () => {
  const text =
    "sudo -n env NODE_NAME=cp-1 KUBERNETES_MINOR=1.35 KUBERNETES_PACKAGE_VERSION='' bash -c '...' prepare.sh";
  assert.equal(parseKubeadmVersion(produce("-prepare", { create: text }).stdout as string), "v1.35.4");
  assert.equal(mockKubeadmVersion("env KUBERNETES_MINOR=1.36 KUBERNETES_PACKAGE_VERSION=1.36.2 bash"), "v1.36.2");
  assert.equal(mockKubeadmVersion(""), "v1.36.4");
});

test("mocked join-token output is well-formed and has a certificate key only for control-plane joins", () => {
  const cp = parseJoinToken(
    produce("-join-token", { create: "sudo -n env CONTROL_PLANE_JOIN=true bash" }).stdout as string,
  );
  assert.equal(cp.token, MOCK_TOKEN);
  assert.match(cp.certificateKey, /^[a-f0-9]{64}$/);
  const workers = parseJoinToken(
    produce("-join-token", { create: "env CONTROL_PLANE_JOIN=false bash" }).stdout as string,
  );
  assert.equal(workers.certificateKey, "");
});

test("mocked kubeconfig points at the node's address with fake credentials", () => {
  const kubeconfig = YAML.parse(produce("-kubeconfig", { connection: { host: "192.168.56.10" } }).stdout as string);
  assert.equal(kubeconfig.clusters[0].cluster.server, "https://192.168.56.10:6443");
  const ca = Buffer.from(kubeconfig.clusters[0].cluster["certificate-authority-data"], "base64").toString();
  assert.match(ca, /mock.*not real/);
});

test("the token's expiry travels to join.sh as a comment kubeadm ignores", () => {
  const line = JSON.stringify({
    token: "abcdef.0123456789abcdef",
    caCertHash: `sha256:${"a".repeat(64)}`,
    certificateKey: "",
    expires: 1767225600,
  });
  const secrets = parseJoinToken(line);
  assert.equal(secrets.expires, 1767225600);
  const text = joinConfigYaml({ ...worker, tokenExpires: secrets.expires });
  assert.match(text, /^# kubelab token expires: 1767225600\napiVersion: kubeadm\.k8s\.io\/v1beta4\n/);
  assert.deepEqual(docs(text)[0], docs(joinConfigYaml(worker))[0]);
  assert.throws(() => parseJoinToken(line.replace("1767225600", '"soon"')), /expires is not a time in Unix seconds/);
});
