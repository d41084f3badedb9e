// The registry of mocked provider outputs the offline render answers with: each component
// module describes its own commands' outputs in its `mocked.ts` (components/mocked-output.ts).
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import type { MockContext, MockedOutput } from "../../components/mocked-output";

export type { MockContext, MockedOutput } from "../../components/mocked-output";

const producers: MockedOutput[] = [];

export function registerMockedOutputs(list: MockedOutput[]): void {
  for (const entry of list) if (!producers.some((p) => p.suffix === entry.suffix)) producers.push(entry);
}

export function mockOutputs(
  args: MockResourceArgs,
  context: MockContext,
  overrides: MockedOutput[] = [],
): Record<string, unknown> {
  const match = [...overrides, ...producers].find((p) => args.name.endsWith(p.suffix));
  if (match) return match.produce(args, context);
  if (args.type.startsWith("command:")) return { stdout: "", stderr: "" };
  return {};
}
