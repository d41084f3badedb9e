// Reports for people (text grouped by file) and machines (DESIGN §4 JSON), and the error that stops
// a Pulumi run.
import { Violation } from "./types";

/** A file that is not valid YAML/JSON; `npm run check` reports it beside the violations. */
export interface ParseError {
  file: string;
  /** 1-based. */
  line: number;
  message: string;
}

const NO_FILE = "(network plan and in-program objects)";

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable order: file, then resource, then rule; findings of one rule on one object keep their order. */
export function sortViolations(violations: Violation[]): Violation[] {
  return [...violations].sort(
    (a, b) => compare(a.file ?? "", b.file ?? "") || compare(a.resource, b.resource) || compare(a.rule, b.rule),
  );
}

export function hasErrors(violations: Violation[]): boolean {
  return violations.some((v) => v.severity === "error");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function summaryLine(violations: Violation[], errors: ParseError[] = []): string {
  const count = (s: string) => violations.filter((v) => v.severity === s).length;
  const parse = errors.length ? `, ${plural(errors.length, "parse error")}` : "";
  return `${plural(count("error"), "error")}, ${plural(count("warning"), "warning")}${parse}`;
}

/** Violations grouped under their file (parse errors first in their file's group), then a summary. */
export function formatText(violations: Violation[], errors: ParseError[] = []): string {
  const groups = new Map<string, string[]>();
  const add = (file: string, line: string) => groups.set(file, [...(groups.get(file) ?? []), line]);
  for (const e of [...errors].sort((a, b) => compare(a.file, b.file) || a.line - b.line)) {
    add(e.file, `  error    [parse-error] line ${e.line}: ${e.message}`);
  }
  for (const v of sortViolations(violations)) {
    add(v.file ?? NO_FILE, `  ${v.severity.padEnd(8)} [${v.rule}] ${v.resource}: ${v.message}`);
  }
  const sections = [...groups.entries()]
    .sort(([a], [b]) => (a === NO_FILE ? -1 : b === NO_FILE ? 1 : compare(a, b)))
    .map(([file, lines]) => `${file}\n${lines.join("\n")}`);
  const summary = violations.length || errors.length ? summaryLine(violations, errors) : "no violations";
  return [...sections, summary].join("\n\n") + "\n";
}

/** DESIGN §4: `{"violations":[{"rule","severity","resource","file","message"}]}`; `errors` only when given. */
export function formatJson(violations: Violation[], errors?: ParseError[]): string {
  const report: { violations: object[]; errors?: ParseError[] } = {
    violations: sortViolations(violations).map((v) => ({
      rule: v.rule,
      severity: v.severity,
      resource: v.resource,
      file: v.file ?? null,
      message: v.message,
    })),
  };
  if (errors) report.errors = errors.map((e) => ({ file: e.file, line: e.line, message: e.message }));
  return JSON.stringify(report, null, 2) + "\n";
}

/** Thrown before any Kubernetes resource is registered; lists every error-severity violation. */
export class PolicyError extends Error {
  public readonly violations: Violation[];
  constructor(violations: Violation[]) {
    const errors = sortViolations(violations.filter((v) => v.severity === "error"));
    const lines = errors.map((v) => `  - [${v.rule}] ${v.resource}: ${v.message}`);
    super(`kubelab policy check failed (${plural(errors.length, "error")}):\n${lines.join("\n")}`);
    this.name = "PolicyError";
    this.violations = errors;
  }
}
