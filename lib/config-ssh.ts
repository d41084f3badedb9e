// How kubelab logs in to its nodes: the private key as given, the key plus its passphrase, or the
// SSH agent when the key is encrypted and no passphrase is configured. Key text never reaches a
// message; problems name the config key and the file path only.
import * as os from "os";
import * as path from "path";
import { ConfigProblem } from "./config-checks";

const OPENSSH_BLOCK = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;
const OPENSSH_MAGIC = "openssh-key-v1\0";

/**
 * Whether a private key needs a passphrase. OpenSSH keys name their cipher right after the magic
 * (`none` when unencrypted); PEM keys say so in a header (`Proc-Type: 4,ENCRYPTED`) or in their
 * PKCS#8 type. Anything unreadable counts as unencrypted: the SSH client reports it precisely.
 */
export function keyIsEncrypted(text: string): boolean {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /^Proc-Type:\s*4,ENCRYPTED/m.test(text)) return true;
  const block = OPENSSH_BLOCK.exec(text);
  if (!block) return false;
  const body = Buffer.from(block[1].replace(/\s+/g, ""), "base64");
  if (body.subarray(0, OPENSSH_MAGIC.length).toString("latin1") !== OPENSSH_MAGIC) return false;
  const at = OPENSSH_MAGIC.length;
  if (body.length < at + 4) return false;
  const length = body.readUInt32BE(at);
  const cipher = body.subarray(at + 4, at + 4 + length).toString("latin1");
  return cipher !== "none";
}

export type SshAuth =
  /** The key as given (unencrypted). */
  | "key"
  /** The encrypted key and kubelab:sshKeyPassphrase. */
  | "key-with-passphrase"
  /** An encrypted key without passphrase: the SSH agent (SSH_AUTH_SOCK) holds it. */
  | "agent";

export interface SshAuthInput {
  keyText: string;
  /** Where the key came from, for messages: the config key and the value to show. */
  source: { key: string; value: unknown };
  passphraseSet: boolean;
  /** An SSH agent socket that exists, if any. */
  agentSocket?: string;
}

export function sshAuth(input: SshAuthInput): { auth: SshAuth } | { problem: ConfigProblem } {
  if (!keyIsEncrypted(input.keyText)) return { auth: "key" };
  if (input.passphraseSet) return { auth: "key-with-passphrase" };
  if (input.agentSocket) return { auth: "agent" };
  return {
    problem: {
      ...input.source,
      message:
        "the private key is encrypted with a passphrase and there is neither kubelab:sshKeyPassphrase nor an SSH " +
        "agent; set the passphrase with `pulumi config set --secret kubelab:sshKeyPassphrase`, or add the key to " +
        "an agent (`ssh-add KEYFILE`) and run with SSH_AUTH_SOCK set",
    },
  };
}

/** One value of `pulumi config --json --show-secrets`. */
interface ConfigEntry {
  value?: string;
  objectValue?: unknown;
}

/**
 * The SSH secrets a deployed stack logs in with, for OpenSSH on this machine (`npm run verify`):
 * `KUBELAB_SSH_KEY` (the secret kubelab:sshPrivateKey, else the ssh.privateKeyPath file) and
 * `KUBELAB_SSH_KEY_PASSPHRASE`. An encrypted key without a passphrase is left to the SSH agent.
 * `config` is `pulumi config --json --show-secrets`; relative key paths resolve against `projectRoot`.
 */
export function stackSshSecrets(
  config: Record<string, ConfigEntry>,
  projectRoot: string,
  readFile: (file: string) => string | undefined,
): Record<string, string> {
  const ssh = config["kubelab:ssh"]?.objectValue ?? parseJson(config["kubelab:ssh"]?.value);
  const keyPath = (ssh as { privateKeyPath?: unknown } | undefined)?.privateKeyPath;
  const file = typeof keyPath === "string" ? keyPath : "~/.ssh/id_ed25519";
  const expanded = file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : path.resolve(projectRoot, file);
  const key = config["kubelab:sshPrivateKey"]?.value || readFile(expanded);
  const passphrase = config["kubelab:sshKeyPassphrase"]?.value;
  if (!key || (keyIsEncrypted(key) && !passphrase)) return {};
  return keyIsEncrypted(key) && passphrase
    ? { KUBELAB_SSH_KEY: key, KUBELAB_SSH_KEY_PASSPHRASE: passphrase }
    : { KUBELAB_SSH_KEY: key };
}

function parseJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
