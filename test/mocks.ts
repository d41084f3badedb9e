// Test access to the mocked program: run a stack (or config values) through index.ts and query
// the recorded resources (type, name, parent, inputs, dependencies).
import assert from "node:assert/strict";
import { RecordedResource } from "../cli/render/mock-runtime";
import { RenderRequest, renderStack } from "../cli/render/stack";

export type Run = Extract<Awaited<ReturnType<typeof renderStack>>, { ok: true }>;

export async function render(request: RenderRequest): Promise<Run> {
  const result = await renderStack(request);
  if (!result.ok) assert.fail(`render failed: ${result.error}`);
  return result;
}

export function resource(run: Run, name: string): RecordedResource {
  const found = run.run.resources.find((r) => r.name === name);
  assert.ok(found, `no resource named ${name}; have: ${run.run.resources.map((r) => r.name).join(", ")}`);
  return found;
}

export function named(run: Run, pattern: RegExp): RecordedResource[] {
  return run.run.resources.filter((r) => pattern.test(r.name));
}

/** Every resource `name` waits for, directly or through others. */
export function transitiveDeps(run: Run, name: string): Set<string> {
  const byName = new Map(run.run.resources.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const stack = [...(byName.get(name)?.dependsOn ?? [])];
  while (stack.length) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byName.get(next)?.dependsOn ?? []));
  }
  return seen;
}

export const staticValues = (
  hosts: { name: string; address: string; role: string }[],
  extra: Record<string, unknown> = {},
) => ({
  "kubelab:nodes": { provider: "static", hosts, ...(extra["kubelab:nodes"] as object) },
  "kubelab:network": { nodeCidr: "192.168.56.0/24", ...(extra["kubelab:network"] as object) },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "kubelab:nodes" && k !== "kubelab:network")),
});

export function hosts(controlPlanes: number, workers: number): { name: string; address: string; role: string }[] {
  return [
    ...Array.from({ length: controlPlanes }, (_, i) => ({
      name: `cp-${i + 1}`,
      address: `192.168.56.${10 + i}`,
      role: "control-plane",
    })),
    ...Array.from({ length: workers }, (_, i) => ({
      name: `worker-${i + 1}`,
      address: `192.168.56.${100 + i}`,
      role: "worker",
    })),
  ];
}
