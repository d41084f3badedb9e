// Shared fixtures for tests: a valid raw config and a way to get ConfigError problems.
import { ConfigError, LabConfig, parseLabConfig } from "../config";
import { ConfigProblem } from "../lib/config-checks";

/** Key files exist for every test config: tests never touch ~/.ssh, nor the SSH agent of whoever runs them. */
export const testKeys = { readKeyFile: (file: string) => `key material of ${file}`, agentSocket: null };

export function staticRaw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nodes: {
      provider: "static",
      hosts: [
        { name: "cp-1", address: "192.168.56.10", role: "control-plane" },
        { name: "worker-1", address: "192.168.56.11", role: "worker" },
        { name: "worker-2", address: "192.168.56.12", role: "worker" },
      ],
    },
    network: { nodeCidr: "192.168.56.0/24" },
    ...overrides,
  };
}

export function parse(raw: Record<string, unknown>): LabConfig {
  return parseLabConfig(raw, testKeys);
}

export function problemsOf(raw: Record<string, unknown>): ConfigProblem[] {
  try {
    parse(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** The error's problem lines; `read` defaults to the test key files (pass parseLabConfig for the real fs). */
export function messagesOf(
  raw: Record<string, unknown>,
  read: (raw: Record<string, unknown>) => unknown = parse,
): string[] {
  try {
    read(raw);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.message
        .split("\n")
        .slice(1)
        .map((l) => l.trim());
    throw error;
  }
  return [];
}
