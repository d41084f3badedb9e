// The one entry point to kubelab's policy rules (DESIGN §5): the program, `npm run check`, the
// tests and the CrossGuard pack all call checkObjects.
import { PolicyError, hasErrors, sortViolations } from "./format";
import { buildIndex } from "./object-index";
import { checkPlan } from "./plan-rules";
import { OBJECT_RULES } from "./rules/catalog";
import { NetworkPlan, SourcedObject, Violation } from "./types";

export { OBJECT_RULES, RULES } from "./rules/catalog";
export type { RuleInfo } from "./rules/catalog";
export { PolicyError, formatJson, formatText, hasErrors, sortViolations, summaryLine } from "./format";
export type { ParseError } from "./format";
export { parseManifests } from "./load";
export { resourceOf } from "./k8s";
export * from "./types";

/** Every object rule over `objects`, plus the plan rules when a plan is given; sorted by file, resource, rule. */
export function checkObjects(objects: SourcedObject[], plan?: NetworkPlan): Violation[] {
  const index = buildIndex(objects);
  const effectivePlan = plan ?? {};
  const found = Object.entries(OBJECT_RULES).flatMap(([name, rule]) => {
    try {
      return rule(objects, effectivePlan, index);
    } catch (error) {
      // Input no rule foresaw must still end in a report (and fail the check), never in a crash.
      const message = `could not be checked on this input (${(error as Error).message}); the input is probably malformed`;
      return [{ rule: name, severity: "error" as const, resource: "(input)", message }];
    }
  });
  if (plan) found.push(...checkPlan(plan));
  return sortViolations(found);
}

/** Throws a PolicyError listing every error; warnings never stop a run. */
export function assertNoPolicyErrors(objects: SourcedObject[], plan?: NetworkPlan): Violation[] {
  const violations = checkObjects(objects, plan);
  if (hasErrors(violations)) throw new PolicyError(violations);
  return violations;
}
