// What the cluster's node scripts would print on a real `pulumi up`, for offline renders and tests.
// Every secret here is an obvious fake (kubeadm's documentation token, hashes of the resource name).
import { createHash } from "crypto";
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { MockedOutput } from "../mocked-output";

export const MOCK_TOKEN = "abcdef.0123456789abcdef";
/** 2026-01-01T00:00:00Z, in Unix seconds. */
export const MOCK_TOKEN_EXPIRES = 1767225600;
const MOCK_PATCH = 4;
const DEFAULT_MINOR = "1.36";

// Inputs arrive as plain values, or wrapped as `{<secret signature>: ..., value}` when secret.
function unwrap(value: unknown): unknown {
  if (value && typeof value === "object" && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig) {
    return unwrap((value as { value: unknown }).value);
  }
  return value;
}

function commandText(args: MockResourceArgs): string {
  const create = unwrap(args.inputs?.create);
  return typeof create === "string" ? create : "";
}

/** The value of `KEY=...` in the command's env prefix (shell-quote leaves plain versions unquoted). */
export function envValue(text: string, key: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${key}=(?:'([^']*)'|([^\\s']*))`).exec(text);
  return match ? (match[1] ?? match[2]) : undefined;
}

function fakeHex(seed: string): string {
  return createHash("sha256").update(`kubelab-mock:${seed}`).digest("hex");
}

/** `v1.36.4` for KUBERNETES_PACKAGE_VERSION=1.36.4, else `v<minor>.4` from KUBERNETES_MINOR. */
export function mockKubeadmVersion(text: string): string {
  const exact = envValue(text, "KUBERNETES_PACKAGE_VERSION");
  if (exact && /^\d+\.\d+\.\d+$/.test(exact)) return `v${exact}`;
  const minor = envValue(text, "KUBERNETES_MINOR");
  return `v${minor && /^\d+\.\d+$/.test(minor) ? minor : DEFAULT_MINOR}.${MOCK_PATCH}`;
}

function connectionHost(args: MockResourceArgs): string {
  const connection = unwrap(args.inputs?.connection);
  const host =
    connection && typeof connection === "object" ? unwrap((connection as { host?: unknown }).host) : undefined;
  return typeof host === "string" && host !== "" ? host : "192.0.2.10";
}

export function mockKubeconfig(server: string): string {
  const fake = (what: string) => Buffer.from(`kubelab mock ${what}, not real`).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${fake("CA certificate")}`,
    `    server: https://${server}:6443`,
    "  name: kubernetes",
    "contexts:",
    "- context:",
    "    cluster: kubernetes",
    "    user: kubernetes-admin",
    "  name: kubernetes-admin@kubernetes",
    "current-context: kubernetes-admin@kubernetes",
    "preferences: {}",
    "users:",
    "- name: kubernetes-admin",
    "  user:",
    `    client-certificate-data: ${fake("client certificate")}`,
    `    client-key-data: ${fake("client key")}`,
    "",
  ].join("\n");
}

export const mockedOutputs: MockedOutput[] = [
  {
    suffix: "-prepare",
    produce: (args) => ({
      stdout: `prepare.sh: node ready for kubeadm\nKUBEADM_VERSION=${mockKubeadmVersion(commandText(args))}\n`,
      stderr: "",
    }),
  },
  {
    suffix: "-join-token",
    produce: (args) => {
      const controlPlaneJoin = envValue(commandText(args), "CONTROL_PLANE_JOIN") === "true";
      const secrets = {
        token: MOCK_TOKEN,
        caCertHash: `sha256:${fakeHex(`ca:${args.name}`)}`,
        certificateKey: controlPlaneJoin ? fakeHex(`certificate-key:${args.name}`) : "",
        // A fixed time: offline renders of an unchanged stack are identical.
        expires: MOCK_TOKEN_EXPIRES,
      };
      return { stdout: `${JSON.stringify(secrets)}\n`, stderr: "" };
    },
  },
  {
    suffix: "-kubeconfig",
    produce: (args) => ({ stdout: mockKubeconfig(connectionHost(args)), stderr: "" }),
  },
];
