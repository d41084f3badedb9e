// Plausible provider outputs for rendering offline: what a real `pulumi up` would read back.
// Each component module describes its own commands' outputs in its `mocked.ts`.
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";

export interface MockedOutput {
  /** Matches resources whose name ends with this suffix, e.g. "-join-token". */
  suffix: string;
  /** The state the provider would report after create (merged over the inputs). */
  produce: (args: MockResourceArgs) => Record<string, unknown>;
}

const producers: MockedOutput[] = [];

export function registerMockedOutputs(list: MockedOutput[]): void {
  for (const entry of list) if (!producers.some((p) => p.suffix === entry.suffix)) producers.push(entry);
}

export function mockOutputs(args: MockResourceArgs): Record<string, unknown> {
  const match = producers.find((p) => args.name.endsWith(p.suffix));
  if (match) return match.produce(args);
  if (args.type.startsWith("command:")) return { stdout: "", stderr: "" };
  return {};
}
