// Fixture files for the policy tests: YAML manifests whose leading comments carry the network plan
// (`# plan: {...}`) and the resources a rule must flag (`# expect: Kind/namespace/name`).
import * as fs from "fs";
import * as path from "path";
import { parseManifests } from "../../policy/load";
import { NetworkPlan, SourcedObject } from "../../policy/types";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "policy");

export interface Fixture {
  objects: SourcedObject[];
  plan?: NetworkPlan;
  expect: string[];
}

export function loadFixture(relative: string): Fixture {
  const file = path.join(FIXTURES, relative);
  const text = fs.readFileSync(file, "utf8");
  const parsed = parseManifests(text, relative);
  if (parsed.errors.length) throw new Error(`${relative}: ${JSON.stringify(parsed.errors)}`);
  const planLine = /^# plan: (.*)$/m.exec(text);
  const expect = [...text.matchAll(/^# expect: (\S+)$/gm)].map((m) => m[1]);
  return { objects: parsed.objects, plan: planLine ? (JSON.parse(planLine[1]) as NetworkPlan) : undefined, expect };
}

/** A Kubernetes object built inline, with an optional source file. */
export function obj(object: Record<string, unknown>, file?: string): SourcedObject {
  return file === undefined ? { object } : { object, file };
}
