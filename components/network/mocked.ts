// What the readiness wait prints on success, for rendering offline.
import { parse } from "shell-quote";
import { MockedOutput } from "../mocked-output";

/** The `KEY=value` assignments of the `sudo -n env ...` prefix of a node step's command text. */
export function stepEnv(commandText: string): Record<string, string> {
  const start = commandText.indexOf("sudo -n env");
  if (start < 0) return {};
  const env: Record<string, string> = {};
  for (const token of parse(commandText.slice(start)).slice(3)) {
    const match = typeof token === "string" ? /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(token) : null;
    if (!match) break;
    env[match[1]] = match[2];
  }
  return env;
}

export const mockedOutputs: MockedOutput[] = [
  {
    suffix: "-wait-ready",
    produce: (args) => {
      const env = stepEnv(String(args.inputs.create ?? ""));
      const nodes = (env.EXPECTED_NODES ?? "").split(" ").filter(Boolean);
      const stdout = `all ${nodes.length} nodes Ready; ${env.ADDON_SELECTOR} pods Ready in ${env.ADDON_NAMESPACE}\n`;
      return { stdout, stderr: "" };
    },
  },
];
